"""The console platform: one message per line on stdin, replies on stdout.

Options are printed one per line, numbered from 1, and answered by number or label. Works
interactively and with stdin from a pipe (it ends at end of input).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.engine.messages import Inbound, Outbound
from bot.engine.runtime import Runtime
from scheduler.delivery import deliver_due

PLATFORM = "console"


class ConsoleSender:
    """Notices for the person at this console (incident escalations, reminders) are printed
    between their messages; notices for other console users wait until they open theirs."""

    platform = PLATFORM

    def __init__(self, runtime: Runtime, stdout: TextIO) -> None:
        self.runtime = runtime
        self.stdout = stdout

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        header = self.runtime.content.book.say("console.notice", "ja")
        self.stdout.write(f"{header}\n{render(message)}\n")
        return None


def render(reply: Outbound) -> str:
    lines = [reply.text]
    lines.extend(f"  {number}. {choice.label}" for number, choice in enumerate(reply.options, 1))
    return "\n".join(lines)


async def run_console(
    runtime: Runtime, user: str, *, language: str | None = None,
    stdin: TextIO | None = None, stdout: TextIO | None = None,
) -> None:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    if language:
        await runtime.handle(Inbound(PLATFORM, user, text=f"/lang {language}", display_name=user))
    sender = ConsoleSender(runtime, stdout)
    await deliver_due(runtime.sessions, sender, clock=runtime.clock, chat_id=user)
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        # Reading a line blocks; a thread keeps the event loop free for the scheduler and timers.
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        inbound = Inbound(PLATFORM, user, text=line.rstrip("\r\n"), display_name=user, language=language)
        for reply in await runtime.handle(inbound):
            stdout.write(render(reply) + "\n")
        await deliver_due(runtime.sessions, sender, clock=runtime.clock, chat_id=user)
        stdout.flush()
