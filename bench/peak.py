"""The realistic peak of the programme on Telegram (issue 14, 6): a visit reminder has just gone out
to 400 people and they press its 確認しました button within 60 s, while within 5 minutes 40 people
report an incident (/incident, then the form's questions) and 400 walk the consultation quick list
(/soudan, then its buttons). Printed: the reply latency a person sees (p50, p99, max), and the
updates that got no reply (lost) or the same reply twice, on SQLite and PostgreSQL, beside a bare
python-telegram-bot echo driven by the same people on the same schedule.

How it is driven. The updates reach our adapter's Application (build_application, with its flood
limiter, as `helpdesk serve telegram` runs it) through Application.process_update, one at a time in
the order they arrived, as served; each person is an asyncio task that waits for its arrival time,
sends an update, reads the bot's reply (the buttons it got) and, after a think time (exponential,
mean --think seconds), sends the next. The Bot API is answered in process (bench/botapi.py) at
Telegram's limit: more than 30 messages in a second are refused with 429 retry_after 1, which the
bot's limiter must keep it under. A reply's latency is from the moment its update arrived (queued
for the Application, as the webhook queues it) to the first message or edit the stand-in accepted
for that update: waiting in line included.

Before the peak, and not timed: 40 companies of 10 members and 1 reporter each, one visit each an
hour away, its reminder queued by the scheduler's sweep and delivered by the delivery worker
through TelegramSender to the stand-in (so each person's press carries a real keyboard's key).

`--compress F` divides every window and think time by F: a quick run of the same number of people
and updates in 1/F of the time, F times the rate (the output says so). The floor's people send the
same number of text updates on the same schedule to an echo handler (it has no buttons to press).

    .venv/bin/python bench/peak.py                                   # SQLite; PostgreSQL if HELPDESK_DATABASE_URL says so
    .venv/bin/python bench/peak.py --compress 5                      # the same load in a minute
    .venv/bin/python bench/peak.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_h6

Each backend's database is emptied first: give a scratch one. Target: p99 < 50 ms, 0 lost, 0 twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.botapi import MESSAGES, Accepted, LocalBotAPI  # noqa: E402 - after the repository root is on the path (run as a script)
from bench.engine import TOKEN, fresh_database, machine, percentile  # noqa: E402 - after the repository root is on the path (run as a script)

TARGET_P99_MS = 50.0
FLOOD_LIMIT = 30  # messages per second: Telegram's limit for one bot
COMPANIES, MEMBERS = 40, 10  # 400 people with the reminder, and one reporter per company
WALKERS = 400
PRESS_WINDOW, WALK_WINDOW = 60.0, 300.0  # seconds
WALK_PRESSES = 4  # buttons pressed after /soudan, at most (a walk stops where no button is left)
REPORT_STEPS = 6  # answers after /incident, at most: a button when there is one, else typed text
TYPED = "bench: the PC does not start since this morning"  # what a reporter types where no button is offered
FIRST_MEMBER, FIRST_REPORTER, FIRST_WALKER = 20_000_000, 21_000_000, 22_000_000


@dataclass
class Turn:
    """One update: when it arrived, when its first reply was accepted, what the stand-in accepted."""

    kind: str
    chat_id: int
    arrived: float
    replied: float | None = None
    accepted: list[Accepted] = field(default_factory=list)

    @property
    def messages(self) -> list[Accepted]:
        return [a for a in self.accepted if a.method in MESSAGES and a.chat_id == self.chat_id]

    @property
    def twice(self) -> bool:
        sent = [a.text for a in self.messages if a.method == "sendMessage"]
        return len(sent) != len(set(sent))


class Line:
    """The Application's update queue: one update at a time, in the order they arrived."""

    def __init__(self, application: Any, api: LocalBotAPI) -> None:
        self.application = application
        self.api = api
        self.queue: asyncio.Queue[tuple[dict[str, Any], Turn, asyncio.Future[Turn]]] = asyncio.Queue()

    async def send(self, raw: dict[str, Any], kind: str, chat_id: int) -> Turn:
        turn = Turn(kind, chat_id, time.perf_counter())
        done: asyncio.Future[Turn] = asyncio.get_running_loop().create_future()
        await self.queue.put((raw, turn, done))
        return await done

    async def serve(self) -> None:
        from telegram import Update

        while True:
            raw, turn, done = await self.queue.get()
            mark = len(self.api.log)
            await self.application.process_update(Update.de_json(raw, self.application.bot))
            turn.accepted = self.api.log[mark:]
            turn.replied = turn.messages[0].at if turn.messages else None
            done.set_result(turn)


# --- updates as Telegram sends them (tests/fixtures/telegram)

_ids = iter(range(900_000_000, 2_000_000_000))


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Peak", "last_name": str(chat_id), "language_code": "ja"}


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    from tests.fakes.telegram_api import fixture

    update = fixture("message_text")
    update["update_id"] = next(_ids)
    update["message"].update(message_id=next(_ids), text=text, chat={"id": chat_id, "first_name": "Peak", "type": "private"},
                             **{"from": _user(chat_id)})
    if text.startswith("/"):
        update["message"]["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    return update


def press_update(chat_id: int, message: dict[str, Any], data: str) -> dict[str, Any]:
    from tests.fakes.telegram_api import fixture

    update = fixture("callback_query")
    update["update_id"] = next(_ids)
    update["callback_query"].update(id=str(next(_ids)), data=data, message=message, **{"from": _user(chat_id)})
    return update


def keyboard_of(turn: Turn) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The last message of a turn that has buttons, and its buttons."""
    for accepted in reversed(turn.messages):
        markup = (accepted.message or {}).get("reply_markup") or {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row if "callback_data" in b]
        if buttons and accepted.message is not None:
            return accepted.message, buttons
    return None


# --- the people


@dataclass
class Plan:
    """Everyone's arrival times and think times, drawn once so that ours and the floor get the same."""

    compress: float
    think: float
    seed: int

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        span = PRESS_WINDOW / self.compress, WALK_WINDOW / self.compress
        self.pressers = [(FIRST_MEMBER + i, rng.uniform(0, span[0])) for i in range(COMPANIES * MEMBERS)]
        self.reporters = [(FIRST_REPORTER + i, rng.uniform(0, span[1])) for i in range(COMPANIES)]
        self.walkers = [(FIRST_WALKER + i, rng.uniform(0, span[1])) for i in range(WALKERS)]
        steps = max(WALK_PRESSES, REPORT_STEPS)
        mean = self.think / self.compress
        self.thinks = {chat: [rng.expovariate(1 / mean) for _ in range(steps)]
                       for chat, _ in self.reporters + self.walkers}


async def at(start: float, offset: float) -> None:
    await asyncio.sleep(max(0.0, start + offset - time.perf_counter()))


async def press_reminder(line: Line, chat: int, offset: float, start: float, reminder: dict[str, Any], data: str, turns: list[Turn]) -> None:
    await at(start, offset)
    turns.append(await line.send(press_update(chat, reminder, data), "press", chat))


async def walk(line: Line, plan: Plan, chat: int, offset: float, start: float, first: str, steps: int, typed: str | None,
               turns: list[Turn], kind: str) -> None:
    """/soudan or /incident, then a button when the reply has one (the first), else `typed`, else stop."""
    await at(start, offset)
    turn = await line.send(text_update(chat, first), kind, chat)
    turns.append(turn)
    for think in plan.thinks[chat][:steps]:
        await asyncio.sleep(think)
        keyboard = keyboard_of(turn)
        if keyboard is not None:
            message, buttons = keyboard
            update = press_update(chat, message, buttons[0]["callback_data"])
        elif typed is not None:
            update = text_update(chat, typed)
        else:
            return
        turn = await line.send(update, kind, chat)
        turns.append(turn)


async def echo_person(line: Line, plan: Plan, chat: int, offset: float, start: float, steps: int, turns: list[Turn], kind: str) -> None:
    await at(start, offset)
    turns.append(await line.send(text_update(chat, f"{kind} 0"), kind, chat))
    for n, think in enumerate(plan.thinks.get(chat, [])[:steps], 1):
        await asyncio.sleep(think)
        turns.append(await line.send(text_update(chat, f"{kind} {n}"), kind, chat))


# --- the phases


async def set_up(app: Any, api: LocalBotAPI) -> dict[int, tuple[dict[str, Any], str]]:
    """Companies, members, reporters, a visit each; the reminders delivered. Each member's reminder
    message and the callback data of its 確認しました button."""
    from telegram.ext import ExtBot

    from bot.platforms.telegram.replies import Replies
    from bot.platforms.telegram.sender import TelegramSender
    from bot.store import repo
    from bot.store.models import utcnow
    from scheduler.delivery import deliver_due
    from scheduler.reminders import sweep
    from scheduler.visits import VisitSpec, add_visit

    now = utcnow()
    async with app.sessions.begin() as session:
        for c in range(COMPANIES):
            company = await repo.create_company(session, f"peak-{c:02d}", "csirt", now)
            members = [FIRST_MEMBER + c * MEMBERS + m for m in range(MEMBERS)] + [FIRST_REPORTER + c]
            for chat in members:
                person = await repo.get_or_create_person(session, "telegram", str(chat), f"Peak {chat}", "ja", now)
                person.company_id, person.role = company.id, "member"
    async with app.sessions.begin() as session:
        # Added two minutes ago, starting in 59 minutes: the one-hour-before reminder fell due a
        # minute ago, after the visit was planned, so the sweep queues it now.
        for c in range(COMPANIES):
            await add_visit(session, app.content, app.runtime.tz,
                            VisitSpec(f"peak-{c:02d}", 1, now + timedelta(minutes=59), "online", None),
                            now=now - timedelta(minutes=2), notify=False)
    await sweep(app.sessions, app.content, app.runtime.tz, utcnow())
    # The same stand-in as the peak's, so that its log holds the reminders' keyboards.
    sender = TelegramSender(ExtBot(TOKEN, request=api), Replies(app.sessions, app.content.book))
    async with sender:
        while (await deliver_due(app.sessions, sender, limit=500)).sent:
            pass
    ack = app.content.book.say("programme.button_ack", "ja")
    reminders: dict[int, tuple[dict[str, Any], str]] = {}
    for accepted in api.log:
        markup = (accepted.message or {}).get("reply_markup") or {}
        for button in (b for row in markup.get("inline_keyboard", []) for b in row):
            if button.get("text") == ack and accepted.chat_id is not None and accepted.message is not None:
                reminders[accepted.chat_id] = (accepted.message, button["callback_data"])
    return reminders


async def phase(which: str, raw_url: str, compress: float, think: float, seed: int, flood_limit: float) -> dict[str, Any]:
    from telegram.ext import AIORateLimiter, ApplicationBuilder, MessageHandler, filters

    from bot.app import open_app
    from bot.config import Settings
    from bot.platforms.telegram.application import build_application

    await (await fresh_database(raw_url)).dispose()
    settings = Settings(database_url=raw_url, telegram_api_url="http://127.0.0.1:9/bot")  # never called
    plan = Plan(compress, think, seed)
    limit = flood_limit or None
    api = LocalBotAPI(limit=limit, keep=True)
    async with open_app(settings) as app:
        if which == "floor":
            application = (ApplicationBuilder().token(TOKEN).request(api).updater(None).job_queue(None)
                           .rate_limiter(AIORateLimiter()).build())

            async def echo(update: Any, context: Any) -> None:
                await update.message.reply_text(update.message.text)

            application.add_handler(MessageHandler(filters.TEXT, echo))
            reminders: dict[int, tuple[dict[str, Any], str]] = {}
        else:
            api.limit = None  # the reminders go out before the peak, as fast as the stand-in takes them
            reminders = await set_up(app, api)
            api.limit = limit
            application = build_application(app, TOKEN, request=api)  # with its flood limiter, as served
        setup_calls = len(api.log)
        errors: list[str] = []

        async def count_error(update: object, context: Any) -> None:
            errors.append(type(context.error).__name__)

        application.add_error_handler(count_error)
        turns: list[Turn] = []
        async with application:
            line = Line(application, api)
            server = asyncio.create_task(line.serve())
            start = time.perf_counter()
            if which == "floor":
                people = [echo_person(line, plan, c, o, start, 0, turns, "press") for c, o in plan.pressers]
                people += [echo_person(line, plan, c, o, start, REPORT_STEPS, turns, "incident") for c, o in plan.reporters]
                people += [echo_person(line, plan, c, o, start, WALK_PRESSES, turns, "quick list") for c, o in plan.walkers]
            else:
                typed = TYPED
                people = [press_reminder(line, c, o, start, *reminders[c], turns) for c, o in plan.pressers if c in reminders]
                people += [walk(line, plan, c, o, start, "/incident", REPORT_STEPS, typed, turns, "incident") for c, o in plan.reporters]
                people += [walk(line, plan, c, o, start, "/soudan", WALK_PRESSES, None, turns, "quick list") for c, o in plan.walkers]
            cpu = time.process_time()
            await asyncio.gather(*people)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            server.cancel()
    return figures(turns, elapsed, cpu, reminders=len(reminders), refused=api.refused, errors=len(errors),
                   stray=setup_calls + sum(len(t.accepted) for t in turns) - len(api.log))


def figures(turns: list[Turn], elapsed: float, cpu: float, **extra: Any) -> dict[str, Any]:
    def of(chosen: list[Turn]) -> dict[str, Any]:
        latencies = [t.replied - t.arrived for t in chosen if t.replied is not None]
        methods = Counter(a.method for t in chosen for a in t.accepted)
        return {
            "calls_per_update": {m: round(n / max(1, len(chosen)), 2) for m, n in sorted(methods.items())},
            "updates": len(chosen), "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "max_ms": max(latencies, default=float("nan")) * 1000,
            "lost": sum(t.replied is None for t in chosen), "twice": sum(t.twice for t in chosen),
        }

    kinds = sorted({t.kind for t in turns})
    return {"all": of(turns), **{kind: of([t for t in turns if t.kind == kind]) for kind in kinds},
            "seconds": elapsed, "cpu_ms": cpu / max(1, len(turns)) * 1000, **extra}


# --- the parent: each phase in a child process of its own


def run_child(*args: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"phase {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", action="append",
                        help="repeatable; default: SQLite in a temp file, and HELPDESK_DATABASE_URL if it is PostgreSQL")
    parser.add_argument("--compress", type=float, default=1.0, help="divide every window and think time by this")
    parser.add_argument("--think", type=float, default=4.0, help="mean seconds between a person's updates")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--flood-limit", type=float, default=FLOOD_LIMIT,
                        help="messages a second the stand-in takes before it answers 429; 0: no limit "
                             "(the bot's own limiter still paces at Telegram's)")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--phase", choices=("ours", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    same = ["--compress", str(args.compress), "--think", str(args.think), "--seed", str(args.seed),
            "--flood-limit", str(args.flood_limit)]
    if args.phase:
        print(json.dumps(asyncio.run(phase(args.phase, args.url, args.compress, args.think, args.seed, args.flood_limit))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        urls = list(args.database_url or [f"sqlite:///{Path(tmp) / 'peak.db'}"])
        env_url = os.environ.get("HELPDESK_DATABASE_URL", "")
        if not args.database_url and env_url.startswith("postgresql"):
            urls.append(env_url)
        squeeze = "" if args.compress == 1 else (
            f"; TIME COMPRESSED {args.compress:g}x: windows of {PRESS_WINDOW / args.compress:.0f} s and "
            f"{WALK_WINDOW / args.compress:.0f} s, {args.compress:g}x the real rate")
        limit_text = f"at {args.flood_limit:g} msg/s (429 beyond)" if args.flood_limit else "without a limit"
        print(f"{COMPANIES * MEMBERS} presses of a reminder's button within {PRESS_WINDOW:.0f} s, {COMPANIES} incident "
              f"reports and {WALKERS} quick-list walks within {WALK_WINDOW:.0f} s{squeeze}; think time mean "
              f"{args.think:g} s; Bot API {limit_text}; {machine()}")
        print(f"{'':30} {'updates':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'lost':>5} {'twice':>6} {'CPU ms':>7}  429s")
        rows = [] if args.skip_floor else [
            ("floor: bare PTB echo", run_child("--phase", "floor", "--url", f"sqlite:///{Path(tmp) / 'floor.db'}", *same))]
        for url in urls:
            backend = url.split(":", 1)[0].split("+")[0]
            rows.append((f"ours, {backend}", run_child("--phase", "ours", "--url", url, *same)))
        for label, f in rows:
            for kind in ("all", "press", "incident", "quick list"):
                k = f.get(kind)
                if k is None:
                    continue
                name = label if kind == "all" else f"  {kind}"
                print(f"{name:30} {k['updates']:>8} {k['p50_ms']:>8.1f} {k['p99_ms']:>8.1f} {k['max_ms']:>8.0f} "
                      f"{k['lost']:>5} {k['twice']:>6} " + (f"{f['cpu_ms']:>7.2f}  {f['refused']}" if kind == "all" else ""))
            if label.startswith("ours"):
                a = f["all"]
                met = a["p99_ms"] < TARGET_P99_MS and a["lost"] == 0 and a["twice"] == 0
                print(f"  {f['reminders']} reminders delivered before the peak; errors {f['errors']}; Bot API calls "
                      f"outside any update {f['stray']}; target p99 < {TARGET_P99_MS:.0f} ms, 0 lost, 0 twice: "
                      f"{'met' if met else 'NOT met'}; {f['seconds']:.0f} s")


if __name__ == "__main__":
    main()
