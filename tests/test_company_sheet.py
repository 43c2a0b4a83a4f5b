"""The hearing sheet is the company's: members answer it together, see who answered what, review
and change answers, and the lead submits it. Driven on the console as the people would."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.reports.overview import company_rows
from bot.store import repo, sheets
from bot.store.models import ExpertAssignment, HearingSheet, SheetAnswer
from tests.answering import valid_answer
from tests.calendar_setup import company, outbox, person
from tests.conftest import Convo

A, B = "株式会社サンプル", "株式会社べつ"


async def _people(runtime: Runtime) -> tuple[Convo, Convo, Convo]:
    await company(runtime, A, lead="tanaka", members=("suzuki", "sato"))
    expert = await person(runtime, "yamada", role="expert")
    await person(runtime, "jimu", role="secretariat")
    async with runtime.sessions.begin() as session:
        found = await repo.company_by_name(session, A)
        assert found is not None
        session.add(ExpertAssignment(person_id=expert.id, company_id=found.id, created_at=runtime.clock()))
    convo = Convo(runtime, "tanaka")
    return convo, convo.as_user("suzuki"), convo.as_user("sato")


async def _sheet_values(runtime: Runtime, name: str = A) -> dict[str, object]:
    async with runtime.sessions() as session:
        found = await repo.company_by_name(session, name)
        assert found is not None
        sheet = await sheets.sheet_of(session, found.id, "hearing_csirt")
        given = await sheets.given_answers(session, sheet.id) if sheet else {}
        return {key: g.answer.value for key, g in given.items()}


async def test_a_second_member_sees_who_answered_and_continues_where_the_company_is(runtime: Runtime) -> None:
    lead, member, _ = await _people(runtime)
    await lead.send("/hearing")
    lead.expect("employees")
    await lead.send("50")
    await lead.send("2")
    lead.expect("pc_count")
    await lead.send("中断")

    await member.send("/hearing")
    assert "57問中2問回答済み（tanaka）" in member.text and "続きから答えますか" in member.text
    await member.press("continue")
    member.expect("pc_count")  # not question 1: the company has answered that
    await member.send("12")
    assert await _sheet_values(runtime) == {"employees": 50, "sites": 2, "pc_count": 12}

    await lead.send("/status")
    assert "57問中3問回答済み" in lead.text  # the same count everywhere
    async with runtime.sessions() as session:
        (row,) = [r for r in await company_rows(session, runtime.content, "ja", runtime.clock()) if r.company == A]
    assert (row.answered, row.questions) == (3, 57)


async def test_two_members_at_the_same_question_do_not_overwrite_each_other(runtime: Runtime) -> None:
    lead, member, _ = await _people(runtime)
    await lead.send("/hearing")
    await lead.send("50")
    lead.expect("sites")
    await member.send("/hearing")
    await member.press("continue")
    member.expect("sites")  # both are looking at 「事業所は何か所」
    await member.send("3")

    await lead.send("4")  # answered after suzuki, on a question shown before
    assert "先ほどsuzukiさんが回答しました" in lead.text and "3" in lead.text
    lead.expect("sites")  # shown again with suzuki's answer, nothing recorded
    assert (await _sheet_values(runtime))["sites"] == 3
    await lead.send("次へ")  # keeps suzuki's answer
    lead.expect("pc_count")

    await lead.send("戻る")
    lead.expect("sites")
    await lead.send("4")  # a deliberate change, now that the answer was shown: recorded
    assert (await _sheet_values(runtime))["sites"] == 4


async def test_review_changes_one_answer_and_keeps_the_history(runtime: Runtime) -> None:
    lead, member, _ = await _people(runtime)
    await lead.send("/hearing")
    for typed in ("50", "2", "10"):
        await lead.send(typed)
    await member.send("/hearing review")
    section = member.question
    assert section is not None and section.options[0].value == "0"
    assert "回答3" in section.options[0].label and "未回答" in section.options[0].label
    await member.press("0")
    assert any(o.value == "employees" and "50" in o.label for o in member.question.options)  # type: ignore[union-attr]
    await member.press("employees")
    assert "新しい回答を送ってください" in member.text
    member.expect("employees")
    await member.send("60")
    assert "変更しました → 60" in member.text
    assert member.question is not None and member.question.question_ref == "sheet:change"  # back to the section

    values = await _sheet_values(runtime)
    assert values["employees"] == 60 and values["sites"] == 2  # nothing else redone
    async with runtime.sessions() as session:
        history = list(await session.scalars(select(SheetAnswer).where(SheetAnswer.question_key == "employees")))
    assert [h.value for h in history] == [50, 60]  # the earlier answer stays in the history
    assert await _named(runtime, history) == ["tanaka", "suzuki"]

    await member.press("sites")
    await member.send("次へ")  # changed their mind: nothing changes
    assert "変更しませんでした" in member.text
    assert (await _sheet_values(runtime))["sites"] == 2


async def _named(runtime: Runtime, rows: list[SheetAnswer]) -> list[str]:
    async with runtime.sessions() as session:
        names = await sheets.names_of(session, [r.person_id for r in rows])
    return [names[r.person_id] for r in rows if r.person_id is not None]


async def test_a_change_that_turns_a_condition_drops_or_asks_the_questions_behind_it(runtime: Runtime) -> None:
    lead, _, _ = await _people(runtime)
    await lead.send("/hearing")
    while lead.key() != "servers_onprem":
        step = await lead.current_step()
        assert step is not None
        await lead.send(valid_answer(step.question, "ja"))
    await lead.send("はい")
    lead.expect("server_count")
    await lead.send("3")
    await lead.send("/status")
    before = lead.text

    await lead.send("/hearing review")
    await lead.press("0")
    await lead.press("servers_onprem")
    await lead.send("いいえ")
    assert "1問が対象外になりました" in lead.text
    assert "server_count" not in {o.value for o in lead.question.options}  # type: ignore[union-attr]
    await lead.send("/status")
    assert lead.text != before  # one question fewer applies

    await lead.send("/hearing review")
    await lead.press("0")
    await lead.press("servers_onprem")
    await lead.send("はい")
    assert re.search("新たに[0-9]+問が対象になりました", lead.text)
    lead.expect("server_count")  # asked again, its earlier answer shown
    assert "3" in lead.text


async def test_the_lead_submits_and_a_later_change_reopens(runtime: Runtime) -> None:
    lead, member, _ = await _people(runtime)
    await lead.send("/hearing")
    await lead.send("50")
    await member.send("/hearing submit")
    assert "代表者" in member.text  # members submit only once the lead allows it
    await member.send("/hearing allow")
    assert "代表者" in member.text

    await lead.send("/hearing allow")
    assert "メンバーも" in lead.text
    await member.send("/hearing submit")
    assert "未回答 56問" in member.text and "未回答の質問:" in member.text
    await member.press("yes")
    assert "提出しました" in member.text
    told = await outbox(runtime, "sheet:")
    assert sorted(q.chat_id for q in told) == ["jimu", "yamada"]  # the expert assigned and the secretariat
    assert all(A in q.message.text and "提出" in q.message.text for q in told)

    await lead.send("/hearing submit")  # twice: nothing new is sent
    assert "提出済み" in lead.text
    assert len(await outbox(runtime, "sheet:")) == 2

    await lead.send("/hearing")
    await lead.press("review")
    await lead.press("0")
    await lead.press("employees")
    await lead.send("55")
    assert "未提出に戻りました" in lead.text
    async with runtime.sessions() as session:
        sheet = await session.scalar(select(HearingSheet))
    assert sheet is not None and sheet.status == "open" and sheet.submitted_at is not None


async def test_another_company_cannot_reach_the_sheet(runtime: Runtime) -> None:
    lead, _, _ = await _people(runtime)
    await lead.send("/hearing")
    await lead.send("50")
    await company(runtime, B, lead="kato")
    other = lead.as_user("kato")
    await other.send("/hearing")
    other.expect("employees")  # their own, empty sheet
    await other.send("/hearing review")
    await other.press("0")
    assert "50" not in other.text
    # a press forged with A's question and A's menu acts on kato's own sheet only
    await other.send("", choice="employees", reply_to="sheet:change")
    assert "50" not in other.text and "tanaka" not in other.text
    await other.send("7")
    assert (await _sheet_values(runtime))["employees"] == 50
    assert (await _sheet_values(runtime, B))["employees"] == 7
