"""Slack rendering without a network: Block Kit limits, safe cutting, mrkdwn escaping, the
`/helpdesk` mapping, and the blocks an Outbound becomes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.content.loader import Content
from bot.engine.messages import Choice, Outbound
from bot.platforms.slack.blocks import answered, group_replies, menu, message, speaker
from bot.platforms.slack.commands import engine_text, for_slack
from bot.platforms.slack.limits import (
    BUTTON_TEXT,
    ELLIPSIS,
    OPTION_TEXT,
    SECTION_TEXT,
    fit,
    is_boundary,
    units,
)
from bot.platforms.slack.mrkdwn import escape, plain_text

# Characters that belong to the one before them, and sequences that are one character on screen.
GA = "\u304b\u3099"  # ka + combining dakuten: one ga
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
FLAG_JP = "\U0001f1ef\U0001f1f5"
THUMBS = "\U0001f44d\U0001f3fd"  # thumbs up, medium skin tone
HEART = "\u2764\ufe0f"  # heart + variation selector 16

perceived = st.sampled_from(["a", "&", "<", "\u3042", "\u6f22", GA, FAMILY, FLAG_JP, THUMBS, HEART, "\r\n", " "])
texts = st.lists(perceived, max_size=120).map("".join) | st.text(max_size=200)


@given(texts, st.integers(min_value=2, max_value=80))
def test_fit_respects_the_limit_and_never_splits_a_character(text: str, limit: int) -> None:
    cut = fit(text, limit)
    assert units(cut) <= limit
    if units(text) <= limit:
        assert cut == text
        return
    assert cut.endswith(ELLIPSIS)
    kept = cut[: -len(ELLIPSIS)]
    assert text.startswith(kept)
    assert is_boundary(text, len(kept))
    kept.encode("utf-8")  # no lone surrogate


def test_fit_cuts_clusters_whole() -> None:
    assert fit("ab" + GA * 3, 5) == "ab" + GA + ELLIPSIS  # not ab + ga + ka...
    assert fit(FAMILY * 2, 9) == FAMILY + ELLIPSIS  # 8 units per family, 1 for the ellipsis
    assert fit(FAMILY * 2, 8) == ELLIPSIS
    assert fit("x" + FLAG_JP * 2, 6) == "x" + FLAG_JP + ELLIPSIS
    assert fit("\u3042" * 3001, SECTION_TEXT) == "\u3042" * 2999 + ELLIPSIS


def test_emoji_outside_the_bmp_count_twice() -> None:
    assert units("\U0001f44d") == 2
    assert units(fit("\U0001f44d" * 100, BUTTON_TEXT)) <= BUTTON_TEXT


@given(st.text(max_size=300), st.integers(min_value=6, max_value=120))
def test_escaped_text_is_never_cut_inside_an_entity(text: str, limit: int) -> None:
    cut = fit(escape(text), limit, avoid_entities=True)
    body = cut.removesuffix(ELLIPSIS)
    tail = body[body.rfind("&"):] if "&" in body else ""
    assert not tail or tail.startswith(("&amp;", "&lt;", "&gt;")), cut
    assert units(cut) <= limit


def test_escape_defuses_mentions_and_links() -> None:
    assert escape("<!channel> & <@U123|boss> <http://evil|bank>") == (
        "&lt;!channel&gt; &amp; &lt;@U123|boss&gt; &lt;http://evil|bank&gt;"
    )


@given(st.text(max_size=200))
def test_escaped_text_reads_back_as_typed(text: str) -> None:
    assert plain_text(escape(text)) == text


def test_slack_markup_reads_as_the_person_typed_it() -> None:
    assert plain_text("see <https://example.com/a?b=1&amp;c=2|example.com> &lt;3") == (
        "see example.com (https://example.com/a?b=1&c=2) <3"
    )
    assert plain_text("<http://example.com|example.com>") == "example.com"  # typed so, linked by Slack
    assert plain_text("<https://example.com>") == "https://example.com"
    assert plain_text("<mailto:a@example.com|a@example.com>") == "a@example.com"
    assert plain_text("<!here> <@U123> <#C123|general>") == "@here @U123 #general"
    assert plain_text("&amp;lt;") == "&lt;"


def test_a_labelled_link_keeps_its_target_beside_the_label() -> None:
    # A phishing report's evidence is where the link goes, not what it says.
    assert plain_text("届いたメール: <http://login.examp1e.net/a|https://bank.example.jp/login> です") == (
        "届いたメール: https://bank.example.jp/login (http://login.examp1e.net/a) です"
    )
    assert plain_text("<mailto:boss@examp1e.net|社長>") == "社長 (mailto:boss@examp1e.net)"


def test_engine_commands_become_the_slash_command() -> None:
    assert for_slack("Send /hearing to continue, /lang ja or /start CODE.") == (
        "Send /helpdesk hearing to continue, /helpdesk lang ja or /helpdesk start CODE."
    )
    assert for_slack("\u300c/hearing new\u300d") == "\u300c/helpdesk hearing new\u300d"
    unchanged = "https://www.jpcert.or.jp/form/ 2026/12/03 /helpdesk help /unknown"
    assert for_slack(unchanged) == unchanged


def test_helpdesk_subcommands_become_engine_commands() -> None:
    assert engine_text("") is None and engine_text("  menu ") is None
    assert engine_text("hearing") == "/hearing"
    assert engine_text("start ab12cd") == "/start ab12cd"
    assert engine_text("HEARING new") == "/hearing new"
    assert engine_text("\uff48\uff45\uff4c\uff50") == "/help"  # full-width letters
    assert engine_text("incident done INC-1 1,2") == "/incident done INC-1 1,2"
    assert engine_text("soudan") == "/soudan"
    japanese = "\u30d2\u30a2\u30ea\u30f3\u30b0"
    assert engine_text(japanese) == japanese  # a word from the lexicon, as typed
    # only the subcommand is compared: what follows it is people's text, kept as typed
    assert engine_text("\uff45\uff56\uff45\uff4e\uff54\u3000add --title \"\u30bb\u30df\u30ca\u30fc\uff08\u5e74\u672b\uff09\"") == (
        '/event add --title "\u30bb\u30df\u30ca\u30fc\uff08\u5e74\u672b\uff09"'
    )


def _say(content: Content, lang: str = "en"):  # type: ignore[no-untyped-def]
    return speaker(content.book, lang)


def test_a_question_with_few_options_gets_buttons(content: Content) -> None:
    reply = Outbound("Backup? <b>", kind="question", options=(Choice("yes", "Yes"), Choice("no", "No")), question_ref="7:backup")
    rendered = message([Outbound("Section 1"), reply], _say(content))
    assert [b["type"] for b in rendered["blocks"]] == ["section", "section", "actions"]
    assert rendered["blocks"][1]["text"]["text"] == "Backup? &lt;b&gt;"
    actions = rendered["blocks"][2]
    assert actions["block_id"] == "q:7:backup"
    assert [(e["type"], e["value"], e["text"]["text"]) for e in actions["elements"]] == [
        ("button", "yes", "Yes"), ("button", "no", "No"),
    ]
    assert len({e["action_id"] for e in actions["elements"]}) == 2
    assert "Section 1" in rendered["text"] and "Backup?" in rendered["text"]


def test_more_than_five_options_become_a_select(content: Content) -> None:
    options = tuple(Choice(f"v{i}", f"Option {i} " + "x" * 100) for i in range(7))
    rendered = message([Outbound("Pick", kind="question", options=options, question_ref="1:q")], _say(content, "ja"))
    (element,) = rendered["blocks"][1]["elements"]
    assert element["type"] == "static_select"
    assert [o["value"] for o in element["options"]] == [f"v{i}" for i in range(7)]
    assert all(units(o["text"]["text"]) <= OPTION_TEXT for o in element["options"])
    assert element["placeholder"]["text"] == content.book.say("slack.choose", "ja")


def test_multi_choice_becomes_checkboxes_and_a_submit_button(content: Content) -> None:
    options = tuple(Choice(f"v{i}", f"Option {i}") for i in range(8))
    rendered = message([Outbound("Which?", kind="question", options=options, multi=True, question_ref="1:q")], _say(content))
    boxes, submit = rendered["blocks"][1]["elements"]
    assert boxes["type"] == "checkboxes" and len(boxes["options"]) == 8
    assert submit["type"] == "button" and submit["text"]["text"] == "Submit"
    many = tuple(Choice(f"v{i}", f"Option {i}") for i in range(12))  # checkboxes take 10 at most
    rendered = message([Outbound("Which?", kind="question", options=many, multi=True, question_ref="1:q")], _say(content))
    assert rendered["blocks"][1]["elements"][0]["type"] == "multi_static_select"


def test_every_question_ends_its_message() -> None:
    first = Outbound("Q1", kind="question", options=(Choice("a", "A"),), question_ref="1:a")
    second = Outbound("Q2", kind="question", options=(Choice("b", "B"),), question_ref="1:b")
    groups = group_replies([Outbound("intro"), first, Outbound("between"), second, Outbound("after")])
    assert [[r.text for r in g] for g in groups] == [["intro", "Q1"], ["between", "Q2"], ["after"]]
    assert [len(g) for g in group_replies([Outbound(str(i)) for i in range(120)])] == [50, 50, 20]


def test_long_texts_are_split_between_lines_and_cut_only_inside_one_line(content: Content) -> None:
    line = "\u3042" * 996
    checklist = "\n".join(f"{n}. {line}" for n in range(7))  # 7 lines of 999: three fit in a section
    rendered = message([Outbound(checklist, kind="question", options=(Choice("v", "L" * 200),), question_ref="1:q")], _say(content))
    texts = [b["text"]["text"] for b in rendered["blocks"] if b["type"] == "section"]
    assert len(texts) == 3 and "\n".join(texts) == checklist  # nothing lost
    assert all(units(t) <= SECTION_TEXT for t in texts)
    assert units(rendered["blocks"][-1]["elements"][0]["text"]["text"]) == BUTTON_TEXT
    assert units(rendered["text"]) <= 3000
    one_line = message([Outbound("\u3042" * 5000)], _say(content))
    assert [units(b["text"]["text"]) for b in one_line["blocks"]] == [SECTION_TEXT]


def test_a_message_never_has_more_than_50_blocks() -> None:
    long = "\n".join(["x" * 2900] * 30)  # 30 sections each
    groups = group_replies([Outbound(long), Outbound(long), Outbound("Q", options=(Choice("a", "A"),), question_ref="1:a")])
    assert [len(g) for g in groups] == [1, 2]


def test_a_pressed_question_reads_as_filled_in(content: Content) -> None:
    reply = Outbound("Backup?", kind="question", options=(Choice("yes", "Yes"),), question_ref="7:backup")
    posted = message([reply], _say(content))
    filled = answered({"text": posted["text"], "blocks": posted["blocks"]}, "q:7:backup", "Answer: Yes")
    assert [b["type"] for b in filled["blocks"]] == ["section", "context"]
    assert filled["blocks"][0]["text"]["text"] == "Backup?"
    assert filled["blocks"][1]["elements"][0]["text"] == "Answer: Yes"
    # A client that sends the message back without blocks still keeps the question's text.
    bare = answered({"text": "Backup?"}, "q:7:backup", "Answer: Yes")
    assert bare["blocks"][0]["text"]["text"] == "Backup?"


def test_the_menu_offers_each_subcommand(content: Content) -> None:
    rendered = menu(_say(content, "ja"))
    values = [e["value"] for e in rendered["blocks"][1]["elements"]]
    assert values == ["/hearing", "/incident", "/soudan", "/status", "/help"]
    assert [e["text"]["text"] for e in rendered["blocks"][1]["elements"]] == [
        content.book.say(f"slack.menu.{item}", "ja") for item in ("hearing", "incident", "soudan", "status", "help")
    ]
    assert len({e["action_id"] for e in rendered["blocks"][1]["elements"]}) == 5


def test_slack_sentences_exist_in_both_languages_with_the_same_placeholders(content: Content) -> None:
    keys = [k for k in content.book.messages.messages if k.startswith("slack.")]
    assert "slack.answered" in keys and "slack.home.registered" in keys
    for key in keys:
        text = content.book.text(key)
        assert text.ja != text.en, key


def test_the_manifest_declares_what_the_app_listens_to() -> None:
    import yaml

    from bot.config import PROJECT_ROOT
    from bot.platforms.slack.commands import COMMAND
    from bot.platforms.slack.incident import INCIDENT_CALLBACK
    from bot.platforms.slack.server import EVENTS_PATH

    manifest = yaml.safe_load((PROJECT_ROOT / "manifest.yaml").read_text(encoding="utf-8"))
    features, settings = manifest["features"], manifest["settings"]
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND]
    assert [(s["type"], s["callback_id"]) for s in features["shortcuts"]] == [("global", INCIDENT_CALLBACK)]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == ["app_home_opened", "message.im"]
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == [
        "chat:write", "commands", "files:write", "im:history", "im:write", "users:read",
    ]
    assert features["app_home"]["home_tab_enabled"] and features["app_home"]["messages_tab_enabled"]
    assert settings["interactivity"]["is_enabled"]
    urls = [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
            features["slash_commands"][0]["url"]]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert len(manifest["display_information"]["description"]) <= 140
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000
