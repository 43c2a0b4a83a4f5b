"""Telegram updates as the engine's Inbound: what a person wrote, including where their links go."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.platforms.telegram.updates import inbound_from_message
from tests.fakes.telegram_api import TelegramUser


def _inbound_text(text: str | None = None, **message: Any) -> str:
    data = TelegramUser(api=None).text_update(text or "", **message)  # type: ignore[arg-type]
    if text is None:
        data["message"].pop("text")
    inbound = inbound_from_message(Update.de_json(data, None), in_group=False)
    assert inbound is not None
    return inbound.text


def _link(text: str, label: str, url: str) -> dict[str, Any]:
    """A text_link entity over `label` in `text`, with offsets in UTF-16 code units as Telegram counts."""
    before = text[: text.index(label)]
    return {"type": "text_link", "offset": len(before.encode("utf-16-le")) // 2,
            "length": len(label.encode("utf-16-le")) // 2, "url": url}


def test_a_text_link_keeps_its_target_beside_the_label() -> None:
    text = "このリンク 銀行のログイン を押した"
    link = _link(text, "銀行のログイン", "https://evil.example/x?id=1")
    assert _inbound_text(text=text, entities=[link]) == "このリンク 銀行のログイン (https://evil.example/x?id=1) を押した"


def test_offsets_are_utf16_code_units_past_emoji() -> None:
    text = "⚠️😀 here and there"
    entities = [_link(text, "here", "https://a.example/"), _link(text, "there", "https://b.example/")]
    assert _inbound_text(text=text, entities=entities) == "⚠️😀 here (https://a.example/) and there (https://b.example/)"


def test_a_caption_link_is_kept_too_and_other_entities_change_nothing() -> None:
    caption = "届いたメール https://bank.example.jp"
    entities = [
        _link(caption, "届いたメール", "https://evil.example/"),
        {"type": "url", "offset": 7, "length": 24},  # the address is the text itself
        {"type": "bold", "offset": 0, "length": 2},
    ]
    assert _inbound_text(caption=caption, caption_entities=entities) == (
        "届いたメール (https://evil.example/) https://bank.example.jp"
    )


def test_a_link_whose_label_is_its_address_is_not_repeated() -> None:
    text = "see https://a.example/"
    assert _inbound_text(text=text, entities=[_link(text, "https://a.example/", "https://a.example/")]) == text


def test_forged_entities_leave_the_text_as_typed() -> None:
    text = "short"
    forged = [
        {"type": "text_link", "offset": 3, "length": 50, "url": "https://x.example/"},  # past the end
        {"type": "text_link", "offset": -1, "length": 2, "url": "https://x.example/"},
        {"type": "text_link", "offset": 0, "length": 2, "url": 12},
        {"type": "text_link", "offset": "0", "length": 2, "url": "https://x.example/"},
        {"type": "text_link", "offset": 0, "length": 0, "url": "https://x.example/"},
    ]
    assert _inbound_text(text=text, entities=forged) == text
