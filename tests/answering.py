"""A valid typed answer for any question, in Japanese or English: how a person would type it."""

from __future__ import annotations

from bot.content.models import Question

TYPED = {
    "ja": {"yes_no": "はい", "scale": "高", "text": "販売管理システム", "duration": "4時間", "date": "昨日"},
    "en": {"yes_no": "yes", "scale": "high", "text": "sales system", "duration": "4 hours", "date": "yesterday"},
}


def valid_answer(question: Question, lang: str = "ja") -> str:
    kind = question.type
    if kind == "choice":
        return question.options[0].label.get(lang) if question.options else "1"
    if kind == "multi_choice":
        return "1,2" if question.options and len(question.options) > 1 else "1"
    if kind == "number":
        low = int(question.min) if question.min is not None else 0
        high = int(question.max) if question.max is not None else low + 10
        return str(min(high, low + 3))
    if kind == "date" and question.not_past:
        return TYPED[lang]["date"].replace("昨日", "明日").replace("yesterday", "tomorrow")
    return TYPED[lang][kind]


def shown_number(keys: list[str], index: int) -> int:
    """The question number the progress line shows at keys[index] (a plan's keys in order): a
    group's "one more?" is no question and shows the number of its entry's last question."""
    counted = sum(1 for key in keys[: index + 1] if not key.endswith("._more"))
    return max(1, counted)
