"""The hearing sheet driven like a person on the console (runtime + real content + database)."""

from __future__ import annotations

from bot.engine.flow import MORE
from tests.answering import valid_answer
from tests.calendar_setup import person
from tests.conftest import Convo, add_company


async def register(convo: Convo, course: str = "csirt", company: str = "株式会社サンプル") -> None:
    code = await add_company(convo.runtime, company, course)
    await convo.send(f"/start {code}")
    assert company in convo.text


async def answer_all(convo: Convo, lang: str, entries: int = 2, limit: int = 400) -> list[str]:
    """Answer every question until the flow completes; a group gets `entries` entries."""
    asked: list[str] = []
    for _ in range(limit):
        step = await convo.current_step()
        if step is None:
            return asked
        asked.append(step.key)
        if step.question.id == MORE:
            await convo.send(("はい" if lang == "ja" else "yes") if (step.entry or 0) < entries else ("いいえ" if lang == "ja" else "no"))
        else:
            await convo.send(valid_answer(step.question, lang))
        assert not any(r.kind == "reprompt" for r in convo.replies), (step.key, convo.text)
    raise AssertionError("the flow did not end")


async def test_full_csirt_hearing_in_japanese(convo: Convo) -> None:
    await register(convo, "csirt")
    await convo.send("/hearing")
    assert "ヒアリングシート（CSIRT構築コース）" in convo.text
    convo.expect("employees")
    asked = await answer_all(convo, "ja")
    assert "回答がそろいました" in convo.text  # the company's sheet is complete, to review and submit
    # both parts were asked, and the repeating group twice
    assert "business_processes[2].process_rto" in asked
    assert any(key.startswith("stakeholder") or key.startswith("doc") for key in asked)
    await convo.send("/status")
    assert "未提出" in convo.text


async def test_full_it_bcp_hearing_in_english(convo: Convo) -> None:
    english = convo.as_user("smith", language="en-US")
    await register(english, "it-bcp", company="Sample Ltd")
    await english.send("/hearing")
    assert "Hearing sheet (IT-BCP course)" in english.text
    asked = await answer_all(english, "en", entries=1)
    assert "have an answer" in english.text
    # seed 000's second hearing slide is asked in this course too, then the IT-BCP part
    assert "external_stakeholders" in asked and "doc_dr_bcp" in asked
    assert asked.index("doc_dr_bcp") < asked.index("bcp_covers_it") < asked.index("bcp_review")


async def test_progress_is_shown_with_each_question(convo: Convo) -> None:
    await register(convo)
    await convo.send("/hearing")
    question = convo.question
    assert question is not None
    assert "セクション 1/" in question.text and "質問 1/" in question.text
    await convo.send("50")
    assert "質問 2/" in convo.question.text  # type: ignore[union-attr]


async def test_back_shows_the_previous_answer_and_next_keeps_it(convo: Convo) -> None:
    await register(convo)
    await convo.send("/hearing")
    await convo.send("50")
    convo.expect("sites")
    await convo.send("戻る")
    convo.expect("employees")
    assert "現在の回答: 50人" in convo.text
    await convo.send("次へ")
    convo.expect("sites")
    await convo.send("back")
    await convo.send("60")  # a changed answer is a new row; the latest wins
    convo.expect("sites")


async def test_skip_only_optional_questions(convo: Convo) -> None:
    await register(convo)
    await convo.send("/hearing")
    convo.expect("employees")  # required
    await convo.send("スキップ")
    assert convo.replies[0].kind == "reprompt" and "スキップできません" in convo.text
    await convo.send("50")
    convo.expect("sites")  # optional
    await convo.send("skip")
    convo.expect("pc_count")


async def test_pause_and_resume_where_it_stopped(convo: Convo) -> None:
    await register(convo)
    await convo.send("/hearing")
    await convo.send("50")
    await convo.send("中断")
    assert "中断しました" in convo.text
    await convo.send("おはよう")  # not an answer: the flow is paused (free text goes to the intake)
    assert convo.key() is None and all(not r.question_ref or r.question_ref.startswith("intake:") for r in convo.replies)
    # and the greeting is told where the sheet stands (a review finding: it got only 「ご用件をどうぞ」)
    assert "57問中1問回答済み" in convo.replies[0].text  # the company's sheet, counted once
    await convo.send("/hearing")
    assert "57問中1問回答済み" in convo.text and "続きから答えますか" in convo.text
    await convo.press("continue")
    assert "再開します" in convo.text
    convo.expect("sites")


async def test_cancel_asks_first(convo: Convo) -> None:
    await register(convo)
    await convo.send("/hearing")
    await convo.send("キャンセル")
    assert [c.value for c in convo.replies[-1].options] == ["yes", "no"]
    await convo.send("いいえ")
    convo.expect("employees")
    await convo.send("キャンセル")
    await convo.press("yes")
    assert "終了しました" in convo.text
    await convo.send("/hearing")  # a new one starts from the first question
    convo.expect("employees")


async def test_help_and_status_inside_the_flow(convo: Convo) -> None:
    await register(convo)
    await convo.send("/hearing")
    await convo.send("ヘルプ")
    assert "戻る" in convo.text
    convo.expect(None)  # type: ignore[arg-type]  # help does not re-ask
    await convo.send("進捗")
    assert "0/" in convo.text


async def test_button_press_answers_only_its_own_question(convo: Convo) -> None:
    await register(convo)
    await convo.send("/hearing")
    for _ in range(4):
        step = await convo.current_step()
        assert step is not None
        await convo.send(valid_answer(step.question))
    convo.expect("mobile_devices")
    old = convo.question
    await convo.press("会社が支給した端末を使っている")
    assert convo.key() != "mobile_devices"
    # pressing the same (now old) button again changes nothing
    await convo.send("", choice="personal", reply_to=old.question_ref)  # type: ignore[union-attr]
    assert "前の質問" in convo.text


async def test_hearing_needs_registration(convo: Convo) -> None:
    await convo.send("/hearing")
    assert "登録してください" in convo.text
    assert convo.question is None


async def test_unknown_commands_and_empty_lines_get_a_clear_answer(convo: Convo) -> None:
    await convo.send("/frobnicate")
    assert "/frobnicate" in convo.text and "/help" in convo.text and convo.replies[0].kind == "error"
    await register(convo)
    await convo.send("/hearing")
    await convo.send("/frobnicate")  # inside a flow too, and the flow stays where it was
    assert "/frobnicate" in convo.text
    await convo.send("")
    assert convo.replies[0].kind == "reprompt"
    await convo.send("50")
    convo.expect("sites")


async def test_out_of_range_and_huge_inputs_are_refused_with_the_expected_range(convo: Convo) -> None:
    await register(convo)
    await convo.send("/hearing")
    await convo.send("0")
    assert "1〜10000" in convo.text and convo.replies[0].kind == "reprompt"
    await convo.send("５" * 25_000)  # beyond any message: refused before parsing
    assert "20000" in convo.text
    await convo.send("５０")
    convo.expect("sites")


async def test_a_registered_expert_is_told_what_they_can_do_instead(convo: Convo) -> None:
    # Review finding: an expert who sent /hearing was told to register with an invitation code.
    code = await add_company(convo.runtime, "株式会社サンプル", "csirt", role="expert")
    await convo.send(f"/start {code}")
    await convo.send("/hearing")
    assert "/report" in convo.text and "招待コード" not in convo.text
    assert convo.text == convo.runtime.content.book.say("hearing.for_participants", "ja")
    assert convo.question is None
    jimu = Convo(convo.runtime, "jimu")
    await person(convo.runtime, "jimu", role="secretariat")
    await jimu.send("/hearing")
    assert jimu.text == convo.text


async def stored_answers(convo: Convo) -> dict[str, tuple[object, bool, bool]]:
    """The latest stored answer per question: (value, unknown, skipped), as the report reads them."""
    from bot.store import repo
    from tests.conftest import answers_of

    async with convo.runtime.sessions() as session:
        person = await repo.person_by_platform(session, "console", convo.user)
        assert person is not None
        conversation = await repo.active_conversation(session, person.id)
        assert conversation is not None
        answers = await answers_of(session, convo.runtime.content, person, conversation)
    return {key: (a.value, a.unknown, a.skipped) for key, a in answers.items()}


async def test_typed_answers_are_read_echoed_and_wakaranai_recorded(convo: Convo) -> None:
    """Issue 18: answers as people type them, each normalised one echoed; 分からない an answer."""
    await register(convo)
    await convo.send("/hearing")
    convo.expect("employees")  # required: a skip is refused, 不明 is an answer
    await convo.send("不明")
    assert convo.replies[0].text == "→ 分からない として記録しました。"
    convo.expect("sites")
    await convo.send("skip")
    convo.expect("pc_count")
    await convo.send("約15台")
    assert convo.replies[0].text == "→ 15台 として記録しました。"
    convo.expect("os_used")
    await convo.send("Windows 10とmac")
    assert convo.replies[0].text == "→ Windows、macOS（Mac） として記録しました。"
    convo.expect("mobile_devices")
    await convo.send("はい")  # company-issued or personal: asked, not guessed
    assert convo.replies[0].kind == "reprompt" and "1「会社が支給した端末を使っている」" in convo.text
    await convo.send("2")
    assert convo.replies[0].text == "→ 個人の端末を業務にも使っている として記録しました。"
    convo.expect("servers_onprem")
    question = convo.question
    assert question is not None and [c.label for c in question.options] == ["はい", "いいえ", "分からない"]
    await convo.send("ありません")
    convo.expect("cloud_services")
    await convo.send("分からない")  # the question's own option: no echo, it is what was typed
    assert not any("として記録しました" in r.text for r in convo.replies)
    convo.expect("it_staff")
    await convo.send("兼任")
    assert convo.replies[0].text == "→ 他の仕事と兼任の担当者 として記録しました。"
    convo.expect("remote_access")

    stored = await stored_answers(convo)
    assert stored["employees"] == (None, True, False)
    assert stored["sites"] == (None, False, True)
    assert stored["pc_count"] == (15, False, False)
    assert stored["os_used"] == (["windows", "macos"], False, False)
    assert stored["servers_onprem"] == (False, False, False)
    assert stored["cloud_services"] == (["unknown"], True, False)
    assert stored["it_staff"] == ("part_time", False, False)

    await convo.send("/status")  # inside the hearing: its progress, 分からない counted apart
    assert "進捗: 8/" in convo.text and "うち分からない 2問、スキップ 1問" in convo.text


async def test_typed_answers_in_english(convo: Convo) -> None:
    english = convo.as_user("smith", language="en-US")
    await register(english, "csirt", company="Sample Ltd")
    await english.send("/hearing")
    await english.send("not sure")
    assert english.replies[0].text == "→ recorded as Don't know."
    english.expect("sites")
    await english.send("two")
    assert english.replies[0].text == "→ recorded as 2 sites."
    await english.send("15 PCs")
    assert english.replies[0].text == "→ recorded as 15 computers."
    await english.send("windows and mac")
    assert english.replies[0].text == "→ recorded as Windows, macOS (Mac)."
    await english.send("nope")
    assert english.replies[0].text == "→ recorded as No."  # the option labelled No
    english.expect("servers_onprem")
    await english.send("no")
    english.expect("cloud_services")
    await english.send("3")
    await english.send("someone")
    assert english.replies[0].text == "→ recorded as Someone who also has other duties."
    english.expect("remote_access")
    await english.send("no")  # once "Not possible from outside" by prefix, without a word
    assert english.replies[0].kind == "reprompt"
    stored = await stored_answers(english)
    assert "remote_access" not in stored
    assert stored["employees"] == (None, True, False)
