"""The English of every message says what the Japanese says, as far as a program can tell: the same
commands. (start.joined_expert lost "/incident status" in English: a review finding.)"""

from __future__ import annotations

import re

from bot.content.loader import Content

COMMAND = re.compile(r"/[a-z][a-z_]*(?: (?:status|show|note|done|move|new|add|list|cancel|send|review|attendees)\b)?")


def test_every_command_a_japanese_message_names_is_named_in_english(content: Content) -> None:
    messages = content.book.messages.messages
    assert any(COMMAND.search(text.ja) for text in messages.values()), "no message names a command"
    lost = {
        key: sorted(set(COMMAND.findall(text.ja)) - set(COMMAND.findall(text.en)))
        for key, text in messages.items()
    }
    assert {key: commands for key, commands in lost.items() if commands} == {}
