"""Chaos: 200 hearing conversations with random valid and invalid input, interleaved, in a bot process
killed with SIGKILL at random moments and restarted. After every restart, each answer that was
acknowledged is in the database as acknowledged, and each conversation resumes at its question.

Bounded: a fixed number of messages and kills (seeded, so a failure can be replayed with its seed)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content.loader import Content
from bot.content.models import Question
from bot.engine.flow import MORE
from bot.runtime.core import Runtime
from bot.store import repo
from bot.store.models import Conversation, HearingSheet, Person, SheetAnswer
from tests.answering import valid_answer
from tests.conftest import add_company

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("CHAOS_SEED", "20261122"))
PEOPLE = 200
MESSAGES = 2400
KILLS = 8
YES_NO = Question.model_construct(id=MORE, type="yes_no", text=None)


@dataclass
class Person_:
    user: str
    asked: str | None = None  # the question the bot last asked (acknowledged)
    acked: dict[str, str] = field(default_factory=dict)  # key -> raw text the bot acknowledged


class Bot:
    def __init__(self, database_url: str, cwd: Path) -> None:
        env = {**os.environ, "HELPDESK_DATABASE_URL": database_url}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.chaos.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, encoding="utf-8", env=env, cwd=Path(__file__).parent.parent,
        )
        assert json.loads(self.readline())["ready"]

    def readline(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the bot process ended"
        return line

    def send(self, user: str, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"user": user, "text": text}, ensure_ascii=False) + "\n")
        self.process.stdin.flush()

    def ask(self, user: str, text: str) -> dict:  # type: ignore[type-arg]
        self.send(user, text)
        reply = json.loads(self.readline())
        if text == "/hearing" and "sheet:menu" in reply["menus"]:
            # The company's sheet shows its progress first: the person presses "continue".
            assert self.process.stdin is not None
            press = {"user": user, "choice": "continue", "reply_to": "sheet:menu"}
            self.process.stdin.write(json.dumps(press) + "\n")
            self.process.stdin.flush()
            reply = json.loads(self.readline())
        return reply

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def question_of(content: Content, key: str) -> Question:
    if key.endswith(MORE):
        return YES_NO
    question_id = key.split("].", 1)[1] if "]." in key else key
    flow = content.flows["hearing_csirt"]
    found = flow.question(question_id)
    assert found is not None, key
    return found


def pick_input(rng: random.Random, content: Content, person: Person_) -> tuple[str, str]:
    """(text, kind): kind is "answer" (recorded when acknowledged), "garbage" or "back"."""
    roll = rng.random()
    if person.asked is None:
        return "/hearing", "command"
    question = question_of(content, person.asked)
    if roll < 0.12:
        return "", "garbage"  # an empty line: always re-asked
    if roll < 0.2 and question.type not in ("text",):
        return rng.choice(["ふむ", "???", "1000000000", "2099/99/99", "🙂"]), "garbage"
    if roll < 0.26:
        return "戻る", "back"
    if question.id == MORE:
        return rng.choice(["はい", "いいえ"]), "answer"
    return valid_answer(question, "ja"), "answer"


def apply(person: Person_, text: str, kind: str, reply: dict) -> None:  # type: ignore[type-arg]
    asked_after = reply["keys"][-1] if reply["keys"] else None
    if kind == "answer" and not reply["reprompt"] and person.asked is not None:
        person.acked[person.asked] = text
    if kind == "garbage":
        assert reply["reprompt"] or person.asked is None, (text, reply)
    if not reply["reprompt"]:
        person.asked = asked_after


async def check(runtime: Runtime, people: dict[str, Person_], in_flight: tuple[str, str, str] | None) -> None:
    async with runtime.sessions() as session:
        for person in people.values():
            found = await repo.person_by_platform(session, "console", person.user)
            if found is None:
                continue
            conversation = await session.scalar(
                select(Conversation).where(Conversation.person_id == found.id).order_by(Conversation.id.desc())
            )
            if conversation is None:
                assert not person.acked
                continue
            rows = list(await session.scalars(
                select(SheetAnswer).join(HearingSheet, HearingSheet.id == SheetAnswer.sheet_id)
                .where(HearingSheet.company_id == found.company_id).order_by(SheetAnswer.id)
            ))
            latest = {row.question_key: row.raw_text for row in rows}
            flying = in_flight is not None and in_flight[0] == person.user
            for key, raw in person.acked.items():
                if flying and in_flight[2] == key:  # type: ignore[index]
                    continue  # answered again in flight: either version may be there
                assert latest.get(key) == raw, (person.user, key, raw, latest.get(key))
            if not flying:
                assert conversation.current_step == person.asked or (
                    person.asked is None and conversation.status == "completed"
                ), (person.user, conversation.current_step, person.asked)


async def adopt_in_flight(runtime: Runtime, person: Person_, text: str) -> None:
    """If the message in flight was committed before the kill, it is now part of what is held."""
    async with runtime.sessions() as session:
        found = await repo.person_by_platform(session, "console", person.user)
        assert found is not None
        row = await session.scalar(
            select(SheetAnswer).join(HearingSheet, HearingSheet.id == SheetAnswer.sheet_id)
            .where(HearingSheet.company_id == found.company_id, SheetAnswer.question_key == person.asked)
            .order_by(SheetAnswer.id.desc()).limit(1)
        )
    if row is not None and row.raw_text == text:
        person.acked[str(person.asked)] = text


async def test_killed_bot_loses_no_acknowledged_answer(runtime: Runtime, content: Content, database_url: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    people = {f"p{i:03d}": Person_(f"p{i:03d}") for i in range(PEOPLE)}
    bot = Bot(database_url, tmp_path)
    for person in people.values():
        # A company each: a hearing sheet is the company's, and this checks one person's answers.
        code = await add_company(runtime, f"カオス株式会社{person.user}", "csirt", role="lead")
        assert not bot.ask(person.user, f"/start {code}")["reprompt"]
    kill_at = sorted(rng.sample(range(200, MESSAGES), KILLS))
    started = time.monotonic()
    for number in range(MESSAGES):
        person = people[rng.choice(list(people))]
        text, kind = pick_input(rng, content, person)
        if kill_at and number == kill_at[0]:
            kill_at.pop(0)
            bot.send(person.user, text)  # in flight: it may or may not have been committed
            time.sleep(rng.random() * 0.01)
            bot.kill()
            await check(runtime, people, (person.user, text, person.asked or ""))
            if kind == "answer" and person.asked is not None:
                await adopt_in_flight(runtime, person, text)
            bot = Bot(database_url, tmp_path)
            # The person saw no answer: they open the hearing again and see where they are.
            reply = bot.ask(person.user, "/hearing")
            person.asked = reply["keys"][-1] if reply["keys"] else None
            continue
        reply = bot.ask(person.user, text)
        apply(person, text, kind, reply)
    bot.kill()
    await check(runtime, people, None)
    # every conversation resumes at the question the database says it is on
    bot = Bot(database_url, tmp_path)
    async with runtime.sessions() as session:
        steps = {
            p.platform_user_id: c.current_step
            for p, c in (await session.execute(
                select(Person, Conversation).join(Conversation, Conversation.person_id == Person.id)
            )).all()
            if c.status in ("active", "paused")
        }
    for user in rng.sample(sorted(steps), 20):
        reply = bot.ask(user, "/hearing")
        assert reply["keys"] and reply["keys"][-1] == steps[user], (user, reply, steps[user])
    bot.kill()
    assert time.monotonic() - started < 600  # bounded: a hung bot fails instead of blocking CI
    assert sum(len(p.acked) for p in people.values()) > 500  # the run did real work
