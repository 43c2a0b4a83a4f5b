"""Severity from the rules in content/incident.yaml: the first rule that holds wins."""

from __future__ import annotations

from typing import Mapping

from bot.content.models import IncidentConfig
from bot.engine.flow import Answer, condition_holds


def severity_of(config: IncidentConfig, answers: Mapping[str, Answer]) -> str:
    for rule in config.rules:
        if rule.any and any(condition_holds(c, answers.get(c.question)) for c in rule.any):
            return rule.level
        if rule.all and all(condition_holds(c, answers.get(c.question)) for c in rule.all):
            return rule.level
    return config.default_level


def rank(config: IncidentConfig, level: str) -> int:
    """0 is the most severe."""
    ids = [lvl.id for lvl in config.levels]
    return ids.index(level) if level in ids else len(ids)
