"""Mistakes a person can fix (an unknown company, a visit number out of the plan, a time in the
past), as a message key of content/messages/programme.yaml and its parameters: the chat says them in
the person's language, the CLI in English."""

from __future__ import annotations

from bot.engine.i18n import MessageBook


class ProgrammeError(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def render(self, book: MessageBook, lang: str) -> str:
        return book.say(self.key, lang, **self.params)
