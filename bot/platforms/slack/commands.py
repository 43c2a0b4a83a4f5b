"""The one slash command, both ways: `/helpdesk hearing` becomes the engine's `/hearing`, and the
engine's "send /hearing" becomes "send /helpdesk hearing" (Slack reads any message starting with
"/" as a slash command, so the engine's own commands cannot be typed in Slack as they are)."""

from __future__ import annotations

import re
import unicodedata

from bot.platforms.slack.mrkdwn import plain_text

COMMAND = "/helpdesk"

# Engine commands a sentence may tell people to send. Not a catch-all: "/form/" in a URL must stay.
_ENGINE_COMMANDS = (
    "start", "hearing", "help", "status", "lang", "incident", "soudan",
    "back", "next", "skip", "pause", "cancel",
)
_MENTION = re.compile(r"(?<![\w/.:])/(" + "|".join(_ENGINE_COMMANDS) + r")\b")
_SUBCOMMAND = re.compile(r"[A-Za-z_]+")
_MENU_WORDS = {"", "menu"}


def for_slack(text: str) -> str:
    """Engine sentence -> the same sentence naming commands as Slack users type them."""
    return _MENTION.sub(COMMAND + r" \1", text)


def engine_text(command_text: str) -> str | None:
    """What `/helpdesk <text>` means to the engine: 'hearing new' -> '/hearing new'; None: the menu.

    Words that are not a subcommand (e.g. Japanese ones from the lexicon) pass through as typed,
    and so does what follows a subcommand (a title, a broadcast): only the subcommand is compared,
    so only it is normalised (NFKC: ｈｅｌｐ is help)."""
    text = plain_text(command_text).strip()
    word, rest = (text.split(None, 1) + ["", ""])[:2]
    key = unicodedata.normalize("NFKC", word)
    if key.lower() in _MENU_WORDS:
        return None
    if _SUBCOMMAND.fullmatch(key):
        return f"/{key.lower()} {rest.strip()}".strip()
    return text
