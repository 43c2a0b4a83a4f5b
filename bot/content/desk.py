"""Facts written once in content and named in any text by a placeholder.

The help desk's hours were written in four places (contacts, the triage tree, two messages) and
could drift from the hours the bot computes with. They are now `desk.hours_text` in
content/programme.yaml, beside `opens`/`closes` (content check ties the two), and a text says
{desk_hours} where it names them: each `ja:` gets the Japanese, each `en:` the English, before the
text is validated, so every reader of content sees the hours themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.yamlio import ContentYamlError, load_yaml

LANGS = ("ja", "en")


def desk_facts(programme: Path) -> dict[str, dict[str, str]]:
    """{"desk_hours": {"ja": …, "en": …}} from programme.yaml; {} when it cannot be read (its own
    load reports why)."""
    try:
        raw = load_yaml(programme) if programme.exists() else None
    except ContentYamlError:
        return {}
    hours = raw.get("desk", {}).get("hours_text") if isinstance(raw, dict) and isinstance(raw.get("desk"), dict) else None
    if not isinstance(hours, dict) or not all(isinstance(hours.get(lang), str) for lang in LANGS):
        return {}
    return {"desk_hours": {lang: hours[lang] for lang in LANGS}}


def with_facts(raw: Any, facts: dict[str, dict[str, str]], lang: str | None = None) -> Any:
    """The YAML data with each {name} in a ja/en string replaced by that fact in that language."""
    if isinstance(raw, dict):
        return {key: with_facts(value, facts, key if key in LANGS else lang) for key, value in raw.items()}
    if isinstance(raw, list):
        return [with_facts(item, facts, lang) for item in raw]
    if isinstance(raw, str) and lang is not None and "{" in raw:
        for name, texts in facts.items():
            raw = raw.replace("{" + name + "}", texts[lang])
    return raw
