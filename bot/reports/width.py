"""How wide a text shows in a fixed-width grid (a terminal table, an Excel column)."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns a text needs: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
