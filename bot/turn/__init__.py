"""One turn of a conversation, below the handlers: the handler's context (Ctx) and load → step →
save of a questionnaire (start, resume, the runners of other kinds of conversation)."""
