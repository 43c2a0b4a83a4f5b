"""People's text inside the Markdown exports (hearing report, incident report).

A Markdown file is often opened in a viewer that renders HTML: a company name or an answer like
`<img src=x onerror=…>` or `<script>` must show as the characters typed, never become markup. So
& < > are written as entities, link brackets are escaped (no `[click](javascript:…)` link made of
an answer), and a table cell keeps its table: | is escaped and a line break becomes <br>, the only
tag the exports write themselves.
"""

from __future__ import annotations

import html
from typing import Any


def md_text(value: Any) -> str:
    """One field of people's text, safe in a Markdown paragraph or table cell."""
    text = html.escape("" if value is None else str(value), quote=False)
    text = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("|", "\\|")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
