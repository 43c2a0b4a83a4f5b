"""The App Home tab, published by the real slack-bolt app in this process: the company's open
incidents and its next expert visit, as bot.policy lets the person see them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.content.loader import Content
from bot.engine.messages import Inbound
from bot.engine.render import Speaker
from bot.runtime.core import Runtime
from bot.incidents.render import level_label, status_label
from bot.platforms.slack.blocks import from_engine
from bot.store import repo
from bot.store.models import ExpertAssignment
from scheduler.visits import VisitSpec, add_visit, cancel_visit
from tests.conftest import Clock, add_company
from tests.fakes.slack_api import (
    FakeSlackAPI,
    InProcess,
    SlackPerson,
    in_process_bot,  # noqa: F401 - the fixture `bot`
    slack_api,  # noqa: F401 - the fixture
    texts_of,
)

A, B = "株式会社エー", "株式会社ビー"
FORM = {"category": "phishing", "what": "偽サイトに入力した", "impact": "none", "spreading": "no"}
RANSOMWARE = {"category": "ransomware", "what": "ファイルが暗号化された", "impact": "stopped", "spreading": "yes"}


async def join(runtime: Runtime, platform: str, user: str, company: str, role: str = "member") -> None:
    code = await add_company(runtime, company, "csirt", role=role)
    replies = await runtime.handle(Inbound(platform, user, text=f"/start {code}"))
    assert replies[0].kind != "error", replies[0].text


async def report(runtime: Runtime, user: str, form: dict[str, str]) -> str:
    """A report filed through the engine (the modal's way in), by a console user; its number."""
    replies = await runtime.handle(Inbound("console", user, text="/incident", form=form))
    return replies[0].text.split(": ")[1].split("（")[0]


async def home_of(bot: InProcess, slack_api: FakeSlackAPI, person: SlackPerson) -> dict[str, Any]:  # noqa: F811
    mark = slack_api.mark()
    await bot.send(person.home_opened())
    await bot.settle()
    (publish,) = slack_api.since(mark, "views.publish")
    assert publish.ok, publish.response
    return publish.params["view"]


def line(content: Content, number: str, severity: str, status: str, at: str) -> str:
    sp = Speaker("ja", content.book, content.words, None)  # type: ignore[arg-type]
    return from_engine(content.book.say(
        "slack.home.incident_line", "ja", number=number, severity=level_label(content, severity, sp),
        status=status_label(content, status, sp), at=at,
    ))


async def test_members_see_their_companys_open_incidents_and_no_others(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content, clock: Clock,  # noqa: F811
) -> None:
    person = SlackPerson()
    await join(runtime, "slack", person.user_id, A)
    await join(runtime, "console", "tanaka", A)
    await join(runtime, "console", "suzuki", B)
    closed = await report(runtime, "tanaka", FORM)
    await runtime.handle(Inbound("console", "tanaka", text=f"/incident move {closed} closed"))
    clock.advance(minutes=30)
    open_one = await report(runtime, "tanaka", RANSOMWARE)
    other_company = await report(runtime, "suzuki", RANSOMWARE)
    assert (closed, open_one, other_company) == ("INC-2026-0001", "INC-2026-0002", "INC-2026-0003")

    view = await home_of(bot, slack_api, person)
    texts = texts_of(view["blocks"])
    assert content.book.say("slack.home.incidents_title", "ja") in texts
    assert line(content, open_one, "critical", "received", "2026-11-24 10:30") in texts
    assert closed not in texts and other_company not in texts  # closed, and another company's

    # The list button shows every open incident in the DM, as /helpdesk incident status does.
    mark = slack_api.mark()
    publish = slack_api.since(0, "views.publish")[-1]
    label = content.book.say("slack.home.incidents_list", "ja")
    await bot.send(person.press_home(view, publish.response["view"]["id"], publish.response["view"]["hash"], label))
    await bot.settle()
    (listed,) = slack_api.posts(person.user_id, mark)
    assert open_one in listed.all_text and other_company not in listed.all_text


async def test_no_open_incidents_says_so_and_the_unregistered_see_no_company_parts(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
) -> None:
    stranger = SlackPerson("U0STRANGE1")
    texts = texts_of((await home_of(bot, slack_api, stranger))["blocks"])
    assert content.book.say("slack.home.incidents_title", "ja") not in texts
    assert content.book.say("slack.home.next_visit", "ja") not in texts

    member = SlackPerson()
    await join(runtime, "slack", member.user_id, A)
    texts = texts_of((await home_of(bot, slack_api, member))["blocks"])
    assert from_engine(content.book.say("slack.home.incidents_none", "ja")) in texts
    assert from_engine(content.book.say("slack.home.next_visit_none", "ja")) in texts


async def test_an_expert_sees_the_companies_assigned_to_them_by_name(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
) -> None:
    expert = SlackPerson("U0EXPERT01")
    await join(runtime, "slack", expert.user_id, A, role="expert")
    await join(runtime, "console", "tanaka", A)
    await join(runtime, "console", "suzuki", B)
    await join(runtime, "console", "sato", "株式会社シー")
    in_a = await report(runtime, "tanaka", FORM)
    in_b = await report(runtime, "suzuki", FORM)
    not_assigned = await report(runtime, "sato", FORM)
    texts = texts_of((await home_of(bot, slack_api, expert))["blocks"])
    assert in_a in texts and in_b not in texts and not_assigned not in texts
    assert content.book.say("start.welcome_expert", "ja", count=1) in texts

    async with runtime.sessions.begin() as session:  # assigned to B as well
        person = await repo.person_by_platform(session, "slack", expert.user_id)
        company = await repo.company_by_name(session, B)
        assert person is not None and company is not None
        session.add(ExpertAssignment(person_id=person.id, company_id=company.id, created_at=runtime.clock()))
        for company, days in ((A, 3), (B, 5), ("株式会社シー", 1)):
            spec = VisitSpec(company, 1, runtime.clock() + timedelta(days=days), "onsite", f"{company}の会議室", None)
            await add_visit(session, content, runtime.tz, spec, now=runtime.clock(), notify=False)
    texts = texts_of((await home_of(bot, slack_api, expert))["blocks"])
    headline = line(content, in_b, "low", "received", "2026-11-24 10:00")
    assert from_engine(f"{B}: ") + headline in texts and f"{from_engine(A)}: " in texts
    assert not_assigned not in texts
    visits = texts.split(content.book.say("slack.home.next_visit", "ja"))[1]
    assert f"{A}の会議室" in visits and f"{B}の会議室" in visits and "株式会社シーの会議室" not in visits
    assert visits.index(f"{A}の会議室") < visits.index(f"{B}の会議室")  # the soonest first
    assert content.book.say("programme.visit_company", "ja", company=B) in visits


async def test_the_next_visit_of_the_company(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content, clock: Clock,  # noqa: F811
) -> None:
    person = SlackPerson()
    await join(runtime, "slack", person.user_id, A)
    await join(runtime, "console", "suzuki", B)
    soon, later = clock.now + timedelta(days=7), clock.now + timedelta(days=21)
    async with runtime.sessions.begin() as session:
        for company, number, at in ((A, 1, soon), (A, 2, later), (B, 1, clock.now + timedelta(days=2))):
            spec = VisitSpec(company, number, at, "online", "https://meet.example.jp/abc", None)
            await add_visit(session, content, runtime.tz, spec, now=clock.now, notify=False)
    plan = content.response.programme.visits  # type: ignore[union-attr]
    assert plan is not None
    title = lambda n: content.book.say("programme.visit_title", "ja", n=n, title=plan.visit(n).title.ja)  # type: ignore[union-attr]  # noqa: E731

    texts = texts_of((await home_of(bot, slack_api, person))["blocks"])
    assert content.book.say("slack.home.next_visit", "ja") in texts
    assert from_engine(title(1)) in texts and from_engine(title(2)) not in texts  # the next one only
    assert "2026年12月1日" in texts and "10:00" in texts  # a week on, in Tokyo time
    assert texts.count("https://meet.example.jp/abc") == 1  # not company B's, a day earlier

    async with runtime.sessions.begin() as session:  # the first is cancelled: the second is next
        await cancel_visit(session, content, runtime.tz, A, 1, now=clock.now, notify=False)
    texts = texts_of((await home_of(bot, slack_api, person))["blocks"])
    assert from_engine(title(2)) in texts and from_engine(title(1)) not in texts
