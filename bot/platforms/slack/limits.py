"""Block Kit's length limits, and cutting a text to one of them without breaking a character.

Slack documents limits in "characters" without saying which; we count UTF-16 code units, which is
never fewer than code points, so a text that fits here fits whichever way Slack counts. A cut never
ends inside a user-perceived character: not between a base and its combining mark (ga written as ka + dakuten),
not inside an emoji ZWJ sequence or a flag, and not before a variation selector or skin tone.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"

# https://docs.slack.dev/reference/block-kit/ (section, button, option, header, placeholder, blocks)
SECTION_TEXT = 3000
CONTEXT_TEXT = 3000
BUTTON_TEXT = 75
OPTION_TEXT = 75
PLACEHOLDER_TEXT = 150
HEADER_TEXT = 150
MESSAGE_TEXT = 3000  # the notification text next to the blocks: Slack allows 40,000, people read less
BLOCKS_PER_MESSAGE = 50
BLOCKS_PER_VIEW = 100
BUTTONS_MAX = 5  # more options than this become a select menu (our rule, for a readable DM)
CHECKBOXES_MAX = 10
SELECT_OPTIONS_MAX = 100

_ZWJ = "\u200d"


def units(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _unit(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _extends(char: str) -> bool:
    """A character that belongs to the one before it."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences (subdivision flags)
    )


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def is_boundary(text: str, index: int) -> bool:
    """May `text` be cut between text[index - 1] and text[index]?"""
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if _extends(after) or before == _ZWJ or (before == "\r" and after == "\n"):
        return False
    if _regional(before) and _regional(after):
        run = 0
        while index - 1 - run >= 0 and _regional(text[index - 1 - run]):
            run += 1
        return run % 2 == 0  # flags are pairs: an odd run ends in the middle of one
    return True


def fit(text: str, limit: int, *, avoid_entities: bool = False) -> str:
    """`text` if it fits in `limit` units, else its longest cleanly cut prefix plus an ellipsis.

    avoid_entities: the text is escaped mrkdwn; never cut inside &amp; &lt; &gt;."""
    if units(text) <= limit:
        return text
    budget = limit - units(ELLIPSIS)
    end = used = 0
    while end < len(text) and used + _unit(text[end]) <= budget:
        used += _unit(text[end])
        end += 1
    while end > 0 and not is_boundary(text, end):
        end -= 1
    if avoid_entities:
        amp = text.rfind("&", max(0, end - 4), end)
        if amp != -1 and ";" not in text[amp:end]:
            end = amp
    return text[:end] + ELLIPSIS
