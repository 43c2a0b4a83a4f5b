"""What the programme commands (/visit, /event, /notice) need from the secretariat's side: the one
place they ask who may change the calendar or broadcast, and reading `--flag value` arguments the way
the CLI takes them.

`may_manage` asks bot/policy (manage_visits, manage_events, broadcast are secretariat-only there);
with `audit=True` the decision is recorded as the policy records every secretariat action, without
it the answer only chooses what a listing shows (no audit entry for every /visits).
"""

from __future__ import annotations

import shlex

from bot.engine.context import Ctx
from bot.engine.parse import clean_text
from bot.policy import Action, decide


def may_manage(ctx: Ctx, action: str, *, audit: bool = True) -> bool:
    """action: manage_visits | manage_events | broadcast."""
    if audit:
        return ctx.may(Action(action))
    return decide(ctx.actor, Action(action)).allowed


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
