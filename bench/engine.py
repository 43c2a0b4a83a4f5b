"""How far one bot process goes: N people answering the hearing sheet at the same time.

Each person registers with an invitation code (/start CODE), opens the hearing (/hearing) and answers
question after question, reading the next question from the bot's replies (Outbound.question_ref)
and typing a valid answer (tests/answering.py; two entries in each repeating group). Messages reach
the engine and storage as a platform adapter hands them over: Runtime.handle with a Telegram-style
Inbound (with an update id, so each message is also de-duplicated). Half the people are on the CSIRT
course (89 questions), half on IT-BCP (69).

Phases, each in a child process of its own (a peak RSS per phase, no cache carried over):

  onboarding         first, in every engine phase, all N people at once send /start CODE and
                     /hearing (registration, a new conversation: 10-20 statements each); its own row.
                     In the programme people register days before they answer, and mixing this burst
                     into the answering figures made the paced phases measure registration.
  engine, saturated  all N people in flight at once on one event loop, each sending its next answer
                     as soon as the reply came, until everyone finished the hearing (or --seconds is
                     up): the most answers per second the process does. Latency here is mostly
                     waiting in line (Little's law: N in flight / throughput), so the latency target
                     is read in the paced phase.
  engine, paced      the same N people with a think time (exponential, mean N/rate), so that together
                     they offer `rate` answers per second for --paced-seconds: the latency a person
                     sees at that load (--rate, repeatable; default 500, the target, and 100).
  telegram floor     the first M updates of everyone's scripted messages, interleaved round-robin
                     (person 1's first, person 2's first, ...), through a bare python-telegram-bot
                     Application with a one-line echo handler; M = the messages of the first engine
                     phase ("the same number of updates").
  telegram ours      the same M updates through our adapter's Application (build_application: our
                     handlers, runtime, keyboards, replies) on a fresh SQLite file.

Both Telegram phases call Application.process_update one update at a time, as `helpdesk serve
telegram` processes them (the library's default, which keeps each person's messages in order), and
answer the Bot API in process (LocalBotAPI, no socket), so the ratio is our code's cost over the
library's. Telegram's flood limit (AIORateLimiter, 30 messages/s overall) is left out of both: it
would measure Telegram's limit, not our code.

    .venv/bin/python bench/engine.py                      # SQLite, and PostgreSQL if reachable (~30 min)
    .venv/bin/python bench/engine.py --seconds 60         # a quick look (weighted to the first questions)
    .venv/bin/python bench/engine.py --people 200 --database-url sqlite:///tmp/bench.db
    .venv/bin/python bench/engine.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_helper

Each phase empties the database it is given: a SQLite file is deleted and made again, PostgreSQL's
tables are dropped and made again by the migrations. Use a scratch database (test_helper), never a
real one. Profile one phase with `python -m pyinstrument bench/engine.py --phase ours --url ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test_helper"
TOKEN = "123456:BENCH"
COURSES = ("csirt", "it-bcp")
FIRST_USER_ID = 10_000_000
TARGET_RATE, TARGET_P99_MS, TARGET_RATIO = 500, 20.0, 3.0


# --- figures


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary(latencies: list[float], elapsed: float, cpu: float, **extra: Any) -> dict[str, Any]:
    count = len(latencies)
    return {
        "messages": count,
        "seconds": elapsed,
        "per_second": count / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        "cpu_ms": cpu / count * 1000 if count else float("nan"),  # CPU of the whole process per message
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: kB
        **extra,
    }


# --- the database


async def fresh_database(raw_url: str) -> Any:
    """A migrated, empty database: a new SQLite file, or PostgreSQL's tables dropped and migrated."""
    from sqlalchemy import text

    from bot.config import async_url
    from bot.store.db import make_engine, upgrade
    from bot.store.models import Base

    url = async_url(raw_url)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    if url.get_backend_name() == "postgresql":
        async with engine.begin() as connection:  # as tests/conftest.py does
            await connection.run_sync(Base.metadata.drop_all)
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await upgrade(engine)
    return engine


async def invitation_codes(runtime: Any, people: int) -> dict[str, str]:
    """One company per course, one invitation code each, good for every person."""
    from bot.store import repo

    codes = {}
    async with runtime.sessions.begin() as session:
        for course in COURSES:
            company = await repo.create_company(session, f"bench-{course}", course, runtime.clock())
            invitation = await repo.create_invitation(session, company, "member", runtime.clock(), uses=people)
            codes[course] = invitation.code
    return codes


def postgres_reachable(raw_url: str) -> bool:
    async def probe() -> None:
        from sqlalchemy import text

        from bot.config import async_url
        from bot.store.db import make_engine

        engine = make_engine(async_url(raw_url))
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(asyncio.wait_for(probe(), 5))
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False
    return True


# --- engine phases: people as asyncio tasks, each reading its next question from the replies


class Answerer:
    """The answer a person types to the question the bot just asked."""

    def __init__(self, content: Any) -> None:
        from bot.engine.flow import MORE

        self.content = content
        self.more = MORE

    def next_text(self, course: str, key: str) -> str:
        from tests.answering import valid_answer

        if key.endswith(self.more):
            # Two entries in each repeating group ("[1]._more": yes, then no): people list a few.
            return "はい" if key.split("[", 1)[1].startswith("1]") else "いいえ"
        question_id = key.split("].", 1)[1] if "]." in key else key
        question = self.content.hearing_flow(course).question(question_id)
        assert question is not None, key
        return valid_answer(question, "ja")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    last_reply: float = 0.0  # perf_counter() when the last reply came
    busy: int = 0  # "busy, send it again in a moment" replies (no pooled connection came free in time)
    completed: int = 0
    stuck: list[str] = field(default_factory=list)


@dataclass
class Person:
    user_id: int
    course: str
    code: str


async def send(
    runtime: Any, person: Person, text: str, tally: Tally, event_ids: Any, rng: random.Random,
) -> list[Any]:
    """One message as the adapter hands it over; a "busy" reply is sent again, as it asks."""
    from bot.engine.messages import Inbound

    busy = runtime.content.book.say("router.busy", "ja")
    while True:
        inbound = Inbound(
            "telegram", str(person.user_id), text=text, chat_id=str(person.user_id),
            display_name=f"Bench {person.user_id}", language="ja", event_id=str(next(event_ids)),
        )
        started = time.perf_counter()
        replies = await runtime.handle(inbound)
        tally.last_reply = time.perf_counter()
        tally.latencies.append(tally.last_reply - started)
        if not (len(replies) == 1 and replies[0].text == busy):
            return list(replies)
        tally.busy += 1
        await asyncio.sleep(rng.uniform(1, 3))


async def onboard(runtime: Any, person: Person, tally: Tally, event_ids: Any, rng: random.Random) -> list[Any]:
    """Register with the invitation code and open the hearing: the replies hold its first question."""
    await send(runtime, person, f"/start {person.code}", tally, event_ids, rng)
    return await send(runtime, person, "/hearing", tally, event_ids, rng)


async def run_person(
    runtime: Any, answerer: Answerer, person: Person, replies: list[Any], tally: Tally, event_ids: Any,
    think: float | None, rng: random.Random, deadline: float | None,
) -> None:
    """Answer question after question, starting from the replies that asked the first one."""
    from bot.engine.messages import split_ref

    # Paced: every message, the first included, follows an exponential think time, so together the
    # people are a Poisson stream of `rate` messages a second from the first second on. (A uniform
    # start before the first think time made the 20 s phases offer 95 % of 500/s and 75 % of 100/s.)
    text = "/hearing"
    while True:
        question = next((r for r in reversed(replies) if r.kind == "question"), None)
        ref = split_ref(question.question_ref) if question else None
        if ref is None:
            if any(r.kind in ("reprompt", "error") for r in replies):
                tally.stuck.append(f"{person.user_id}: {replies[-1].text[:80]!r} after {text!r}")
            else:
                tally.completed += 1
            return
        text = answerer.next_text(person.course, ref[1])
        if think is not None:
            await asyncio.sleep(rng.expovariate(1 / think))
        if deadline is not None and time.perf_counter() >= deadline:
            return
        replies = await send(runtime, person, text, tally, event_ids, rng)


async def engine_phase(raw_url: str, people: int, seconds: float, rate: float | None) -> dict[str, Any]:
    """Everyone registers and opens the hearing first, all at once (timed on its own: the
    onboarding), then answers: as fast as the replies come (rate None), or paced to `rate` msg/s."""
    from sqlalchemy import event

    from bot.config import PROJECT_ROOT
    from bot.content.loader import load_content
    from bot.runtime.core import Runtime
    from bot.store.db import session_factory

    content = load_content(PROJECT_ROOT / "content")
    engine = await fresh_database(raw_url)
    statements = [0]
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    try:
        runtime = Runtime(session_factory(engine), content)
        codes = await invitation_codes(runtime, people)
        everyone = [Person(FIRST_USER_ID + i, COURSES[i % 2], codes[COURSES[i % 2]]) for i in range(people)]
        answerer, rng = Answerer(content), random.Random(20261122)
        event_ids = itertools.count(500_000_000)

        joining = Tally()
        started, cpu = time.perf_counter(), time.process_time()
        first_replies = await asyncio.gather(*(onboard(runtime, p, joining, event_ids, rng) for p in everyone))
        onboarding = summary(joining.latencies, joining.last_reply - started, time.process_time() - cpu,
                             busy=joining.busy, statements=statements[0] / max(1, len(joining.latencies)))

        tally = Tally()
        think = people / rate if rate else None
        statements[0] = 0
        started, cpu = time.perf_counter(), time.process_time()
        deadline = started + seconds if seconds else None
        await asyncio.gather(*(
            run_person(runtime, answerer, p, replies, tally, event_ids, think, rng, deadline)
            for p, replies in zip(everyone, first_replies)
        ))
        cpu = time.process_time() - cpu
        return summary(
            tally.latencies, tally.last_reply - started, cpu,  # not counting the last think times
            completed=tally.completed, busy=tally.busy, stuck=tally.stuck[:5],
            stuck_count=len(tally.stuck), statements=statements[0] / max(1, len(tally.latencies)),
            onboarding=onboarding,
        )
    finally:
        await engine.dispose()


# --- Telegram phases


def make_local_bot_api() -> Any:
    """The Bot API answered in process (bench/botapi.py), without a flood limit: our code's cost."""
    from bench.botapi import LocalBotAPI

    return LocalBotAPI()


def scripted_texts(content: Any, course: str) -> list[str]:
    """What one person of a course types for a whole hearing, worked out with the pure engine (the
    answers the engine phases type)."""
    from bot.engine.render import Speaker
    from bot.engine.step import FlowInput, FlowState, step

    flow = content.hearing_flow(course)
    answerer = Answerer(content)
    sp = Speaker("ja", content.book, content.words, datetime.now(ZoneInfo("Asia/Tokyo")).date())
    result = step(flow, FlowState(), FlowInput("start"), sp)
    texts = []
    while result.state.cursor is not None:
        texts.append(answerer.next_text(course, result.state.cursor))
        result = step(flow, result.state, FlowInput("message", text=texts[-1]), sp)
    return texts


def telegram_updates(content: Any, people: int, codes: dict[str, str], limit: int | None) -> list[dict[str, Any]]:
    """Everyone's messages as Telegram Updates, interleaved round-robin, as a burst from many
    chats arrives; the first `limit` of them."""
    scripts = {c: [f"/start {codes[c]}", "/hearing", *scripted_texts(content, c)] for c in COURSES}
    per_person = [scripts[COURSES[i % 2]] for i in range(people)]
    updates: list[dict[str, Any]] = []
    update_ids = itertools.count(800_000_000)
    for turn in range(max(len(s) for s in per_person)):
        for i, script in enumerate(per_person):
            if turn >= len(script):
                continue
            user_id, text = FIRST_USER_ID + i, script[turn]
            message: dict[str, Any] = {
                "message_id": turn + 1, "date": 1764032460, "text": text,
                "from": {"id": user_id, "is_bot": False, "first_name": "Bench", "last_name": str(i),
                         "language_code": "ja"},
                "chat": {"id": user_id, "first_name": "Bench", "type": "private"},
            }
            if text.startswith("/"):
                message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
            updates.append({"update_id": next(update_ids), "message": message})
            if limit is not None and len(updates) == limit:
                return updates
    return updates


async def telegram_phase(which: str, raw_url: str, people: int, limit: int | None) -> dict[str, Any]:
    from sqlalchemy import func, select
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    from bot.app import open_app
    from bot.config import Settings
    from bot.platforms.telegram.application import build_application
    from bot.store.models import Conversation

    await (await fresh_database(raw_url)).dispose()
    # flood_limit=0: the bench's people answer as fast as the bot lets them, which is a flood.
    settings = Settings(database_url=raw_url, telegram_api_url="http://127.0.0.1:9/bot", flood_limit=0)  # API never called
    async with open_app(settings) as app:
        codes = await invitation_codes(app.runtime, people)
        updates = telegram_updates(app.content, people, codes, limit)
        request = make_local_bot_api()
        if which == "floor":
            application = ApplicationBuilder().token(TOKEN).request(request).updater(None).job_queue(None).build()

            async def echo(update: Any, context: Any) -> None:
                await update.message.reply_text(update.message.text)

            application.add_handler(MessageHandler(filters.TEXT, echo))
        else:
            application = build_application(app, TOKEN, request=request, flood_limits=False)
        errors: list[str] = []

        async def count_error(update: object, context: Any) -> None:
            errors.append(type(context.error).__name__)

        application.add_error_handler(count_error)
        latencies = []
        async with application:
            started, cpu = time.perf_counter(), time.process_time()
            for raw in updates:
                begun = time.perf_counter()
                await application.process_update(Update.de_json(raw, application.bot))
                latencies.append(time.perf_counter() - begun)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        completed = 0
        if which == "ours":
            async with app.sessions() as session:
                completed = int(await session.scalar(
                    select(func.count()).select_from(Conversation).where(Conversation.status == "completed")
                ) or 0)
        return summary(latencies, elapsed, cpu, completed=completed, errors=len(errors), bot_api_calls=request.calls)


# --- the parent: each phase in a child process, one table


def run_child(*args: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"phase {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


HEADER = (f"{'':<34} {'msgs':>7} {'msg/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'CPU ms':>7} {'RSS MB':>7}")


def row(label: str, f: dict[str, Any]) -> str:
    return (f"{label:<34} {f['messages']:>7} {f['per_second']:>7.0f} {f['p50_ms']:>8.1f} {f['p95_ms']:>8.1f} "
            f"{f['p99_ms']:>8.1f} {f['max_ms']:>8.0f} {f['cpu_ms']:>7.2f} {f['peak_rss_mb']:>7.0f}")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} CPUs ({model}), {memory} GB RAM, Python {platform.python_version()}; "
            f"load average at start {load:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--database-url", action="append",
                        help=f"repeatable; default: SQLite in a temp file, and {DEFAULT_POSTGRES} if reachable")
    parser.add_argument("--seconds", type=float, default=0.0,
                        help="time limit of the saturated phase; default 0: until everyone finished the hearing "
                             "(a limit makes a quick run, weighted towards /start and the first questions)")
    parser.add_argument("--rate", type=float, action="append", help="offered msg/s of a paced phase (repeatable)")
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--skip-telegram", action="store_true")
    parser.add_argument("--phase", choices=("engine", "paced", "floor", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--updates", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rates = args.rate or [float(TARGET_RATE), 100.0]

    if args.phase:  # a child: one phase, one JSON line
        if args.phase == "engine":
            figures = asyncio.run(engine_phase(args.url, args.people, args.seconds, None))
        elif args.phase == "paced":
            figures = asyncio.run(engine_phase(args.url, args.people, args.paced_seconds, rates[0]))
        else:
            figures = asyncio.run(telegram_phase(args.phase, args.url, args.people, args.updates))
        print(json.dumps(figures))
        return

    with tempfile.TemporaryDirectory() as tmp:
        urls = list(args.database_url or [f"sqlite:///{Path(tmp) / 'engine.db'}"])
        if not args.database_url:
            if postgres_reachable(DEFAULT_POSTGRES):
                urls.append(DEFAULT_POSTGRES)
            else:
                print(f"(PostgreSQL at {DEFAULT_POSTGRES} is not reachable: SQLite only)")
        people = ["--people", str(args.people)]
        limit = "until done" if not args.seconds else f"{args.seconds:.0f} s"
        print(f"{args.people} people answering the hearing sheet at once ({limit}); {machine()}")
        print(HEADER)
        first: dict[str, Any] | None = None
        saturated_by_backend: dict[str, dict[str, Any]] = {}
        for url in urls:
            backend = url.split(":", 1)[0].split("+")[0]
            saturated = run_child("--phase", "engine", "--url", url, "--seconds", str(args.seconds), *people)
            first = first or saturated
            saturated_by_backend[backend] = saturated
            print(row(f"engine {backend}, onboarding", saturated["onboarding"]))
            print(row(f"engine {backend}, saturated", saturated))
            paced = []
            for rate in rates:
                figures = run_child("--phase", "paced", "--url", url, "--rate", str(rate),
                                    "--paced-seconds", str(args.paced_seconds), *people)
                paced.append((rate, figures))
                print(row(f"engine {backend}, paced {rate:.0f}/s", figures))
            stuck = f"; STUCK: {saturated['stuck']}" if saturated["stuck_count"] else ""
            busy = ", ".join(f"{f['busy']} {name}" for name, f in [
                ("onboarding", saturated["onboarding"]), ("saturated", saturated), *(
                (f"paced {r:.0f}/s", f) for r, f in paced)] if f["busy"])
            print(f"  {saturated['statements']:.1f} SQL statements per answer ("
                  f"{saturated['onboarding']['statements']:.1f} per onboarding message); {saturated['completed']} of "
                  f"{args.people} finished the hearing{stuck}; \"busy, send it again\" replies: {busy or 'none'}")
            at_target = next((f for r, f in paced if r == TARGET_RATE), None)
            line = f"  target {TARGET_RATE} msg/s: {verdict(saturated['per_second'] >= TARGET_RATE)}"
            if at_target is not None:
                kept_up = at_target["per_second"] >= 0.95 * TARGET_RATE
                line += (f"; p99 < {TARGET_P99_MS:.0f} ms at {TARGET_RATE}/s offered: "
                         f"{verdict(kept_up and at_target['p99_ms'] < TARGET_P99_MS)}"
                         f" ({at_target['per_second']:.0f}/s achieved, p99 {at_target['p99_ms']:.0f} ms)")
            print(line)
        if args.skip_telegram or first is None:
            return
        tg_url = f"sqlite:///{Path(tmp) / 'telegram.db'}"
        same = ["--url", tg_url, "--updates", str(first["messages"]), *people]
        floor = run_child("--phase", "floor", *same)
        print(row("telegram floor: bare PTB echo", floor))
        ours = run_child("--phase", "ours", *same)
        print(row("telegram ours (SQLite)", ours))
        ratio = ours["mean_ms"] / floor["mean_ms"]
        print(f"  our Telegram path costs {ratio:.1f}x the bare echo per update (mean {ours['mean_ms']:.2f} ms vs "
              f"{floor['mean_ms']:.2f} ms, one update at a time as served); target <= {TARGET_RATIO:.0f}x: "
              f"{verdict(ratio <= TARGET_RATIO)}")
        print(f"  Bot API calls: ours {ours['bot_api_calls']}, floor {floor['bot_api_calls']}; errors: ours "
              f"{ours['errors']}, floor {floor['errors']}")
        # This machine's speed moves by a third from one hour to the next; the echo moves with it, so
        # an answer's CPU counted in echoes compares across runs, days and machines.
        for backend, saturated in saturated_by_backend.items():
            print(f"  engine {backend}, saturated: {saturated['cpu_ms'] / floor['cpu_ms']:.1f} echoes of CPU per answer "
                  f"({saturated['cpu_ms']:.2f} ms / {floor['cpu_ms']:.2f} ms)")


if __name__ == "__main__":
    main()
