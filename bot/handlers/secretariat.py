"""What the programme commands (/visit, /event, /notice) need from the secretariat's side: the one
place they ask who may change the calendar or broadcast, and reading `--flag value` arguments the way
the CLI takes them.

`managed` asks bot/policy (manage_visits, manage_events, broadcast are secretariat-only there) and
records the action as the policy records every secretariat action, with how it ended; `may_manage`
only chooses what a listing shows (no audit entry for every /visits).
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable

from bot.turn.context import Ctx
from bot.engine.messages import Outbound
from bot.engine.parse import clean_text
from bot.policy import Action, decide, settle


def may_manage(ctx: Ctx, action: str) -> bool:
    """Would the policy allow it (manage_visits | manage_events | broadcast)? Not recorded: it only
    chooses what a listing shows; the action itself goes through `managed`."""
    return decide(ctx.actor, Action(action)).allowed


async def managed(ctx: Ctx, action: str, work: Callable[[], Awaitable[list[Outbound]]]) -> list[Outbound] | None:
    """Do a secretariat action and record how it ended: None when the policy refuses (recorded as
    refused); else the replies of `work`, the audit entry done, or failed with the first line of
    the error reply (a calendar change or broadcast that did not happen is not left as allowed)."""
    allowed, entry = ctx.may_start(Action(action))
    if not allowed or entry is None:
        return None
    replies = await work()
    settle(entry, next(((r.text.strip().splitlines() or ["error"])[0] for r in replies if r.kind == "error"), None))
    return replies


class BadArgs(ValueError):
    """Arguments that do not parse; the handler answers with its usage line."""


_QUOTES = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u300c": '"', "\u300d": '"', "\uff02": '"', "\u2018": "'", "\u2019": "'", "\uff07": "'",
})
_IDEOGRAPHIC_SPACE = "\u3000"


def command_args(args: str, flags: set[str]) -> tuple[list[str], dict[str, str]]:
    """'"Sample Co." --no 1 --at "2026-12-03 14:00"' -> (['Sample Co.'], {'no': '1', 'at': …}).

    Quotes as in a shell ("…" or '…', also curly and corner quotes); every flag takes one value.
    Values are kept as typed (a title's 「（年末）」 stays full-width); only the flag names, which are
    compared, are normalised (NFKC: －－ｔｏ is --to), and a full-width space separates as a space does."""
    lexer = shlex.shlex(args.translate(_QUOTES), posix=True)
    lexer.whitespace_split = True
    lexer.whitespace += _IDEOGRAPHIC_SPACE
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:
        raise BadArgs(args) from None
    positional: list[str] = []
    values: dict[str, str] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        key = clean_text(token)
        if key.startswith("--"):
            name = key[2:].lower().replace("_", "-")
            if name not in flags or index + 1 >= len(tokens):
                raise BadArgs(token)
            values[name] = tokens[index + 1]
            index += 2
        else:
            positional.append(token)
            index += 1
    return positional, values
