"""Sentences by key and language, from content/messages.yaml."""

from __future__ import annotations

import string
from dataclasses import dataclass

from bot.content.models import Messages, Text


class MissingMessage(KeyError):
    pass


@dataclass(frozen=True)
class MessageBook:
    messages: Messages

    def text(self, key: str) -> Text:
        try:
            return self.messages.messages[key]
        except KeyError:
            raise MissingMessage(f"content/messages.yaml has no message {key!r}") from None

    def say(self, key: str, lang: str, **params: object) -> str:
        return self.text(key).get(lang).format(**params)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
