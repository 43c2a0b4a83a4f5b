"""Slack's text format both ways: what we post is escaped, what people typed is read back to plain text.

Slack escapes &, < and > in what people type and wraps links and mentions in angle brackets
(<https://example.com|example.com>, <@U123>, <!here>). Posting text unescaped would let an answer or a
company name ping a channel (<!channel>) or disguise a link, so everything we post is escaped.
"""

from __future__ import annotations

import re

# &amp; last: "&amp;lt;" is what someone typed as "&lt;", not "<".
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_MARKUP = re.compile(r"<([^<>]*)>")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _readable(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if label and target[:1] not in ("#", "@", "!"):
        # A link with a label: in a phishing report the real address is the evidence, and the
        # label may be chosen to hide it. Kept beside the label unless the label is the address.
        return label if label in (target, _without_scheme(target)) else f"{label} ({target})"
    if label:  # a channel's or person's name, a user group's @handle
        return (target[0] if target[:1] in ("#", "@") else "") + label
    if target.startswith("!"):
        return "@" + target[1:]  # <!here> was typed as @here
    return target  # a bare link, or <@U123> kept as @U123


def _without_scheme(target: str) -> str:
    """What Slack shows for an address it linked by itself: example.com for http://example.com."""
    for scheme in ("https://", "http://", "mailto:"):
        if target.startswith(scheme):
            return target[len(scheme):]
    return target


def plain_text(slack_text: str) -> str:
    """What the person typed, as near as Slack lets us know it."""
    text = _MARKUP.sub(_readable, slack_text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text
