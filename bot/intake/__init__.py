"""Free text -> a triage leaf, an incident category or a task of the bot (issue 16): offline,
BM25 over character n-grams plus rapidfuzz, built once per content set."""
