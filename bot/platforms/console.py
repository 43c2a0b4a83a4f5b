"""The console platform: one message per line on stdin, replies on stdout.

Options are printed one per line, numbered from 1, and answered by number or label. Works
interactively and with stdin from a pipe (it ends at end of input). A file the bot sends (a /draft
document) is written into HELPDESK_FILES_DIR (./helpdesk-files/ by default) and its path printed.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.engine.messages import Inbound, OutFile, Outbound, split_ref
from bot.runtime.core import Runtime
from bot.reports.output import OutputExists, write_private
from bot.store import repo
from scheduler.delivery import deliver_due

PLATFORM = "console"
_PRESS = re.compile(r"^/press(?:\s+(\S+))?$")
_BARE_NUMBER = re.compile(r"^([0-9]{1,2})$")


class ConsoleSender:
    """Notices for the person at this console (incident escalations, reminders) are printed
    between their messages; notices for other console users wait until they open theirs."""

    platform = PLATFORM

    def __init__(self, runtime: Runtime, stdout: TextIO, files_dir: Path = Path("helpdesk-files")) -> None:
        self.runtime = runtime
        self.stdout = stdout
        self.files_dir = files_dir
        self.buttons: Outbound | None = None  # the last message with buttons: /press N presses one
        # Whether the last message printed was that one: then a bare number presses its button too,
        # as a person who sees numbered buttons types (after a question, a number answers it).
        self.buttons_last = False
        self.lang = "ja"  # the person's language, read after each message (/lang en changes it)

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        header = self.runtime.content.book.say("console.notice", self.lang)
        self.stdout.write(f"{header}\n{self.show(message)}\n")
        return None

    async def follow_language(self, user: str) -> None:
        async with self.runtime.sessions() as session:
            person = await repo.person_by_platform(session, PLATFORM, user)
        self.lang = person.language if person is not None else self.lang

    def show(self, message: Outbound) -> str:
        """The message as text; buttons that belong to no questionnaire (a reminder's, a preview's)
        are remembered for /press, since typing a number answers the open questionnaire."""
        text = render(message)
        book = self.runtime.content.book
        for file in message.files:
            try:
                text += "\n" + book.say("console.file_saved", self.lang, path=save_file(self.files_dir, file))
            except OSError as exc:
                text += "\n" + book.say("console.file_not_saved", self.lang, name=file.name, folder=self.files_dir,
                                         reason=exc.strerror or type(exc).__name__)
        self.buttons_last = bool(message.options and message.question_ref and split_ref(message.question_ref) is None)
        if self.buttons_last:
            self.buttons = message
            text += "\n" + book.say("console.press_hint", self.lang)
        return text

    def press(self, user: str, line: str, language: str | None) -> Inbound | str | None:
        """`/press N` (or just N right after that message): the Nth button of the last message with
        buttons, as a platform would send it;
        a sentence saying why not when no button of this run has that number (buttons printed by an
        earlier run of the console are gone with it); None for a line that is not /press."""
        match = _PRESS.match(line.strip())
        if match is None and self.buttons_last and self.buttons is not None:
            match = _BARE_NUMBER.match(line.strip())
            if match is not None and not 1 <= int(match.group(1)) <= len(self.buttons.options):
                match = None  # a number that is no button of it: a message like any other
        if match is None:
            return None
        book = self.runtime.content.book
        if self.buttons is None:
            return book.say("console.press_none", self.lang)
        count = len(self.buttons.options)
        number = int(match.group(1)) if (match.group(1) or "").isdigit() else 0
        if not 1 <= number <= count:
            return book.say("console.press_range", self.lang, count=count)
        choice = self.buttons.options[number - 1].value
        return Inbound(PLATFORM, user, choice=choice, reply_to=self.buttons.question_ref, display_name=user, language=language)


def save_file(folder: Path, file: OutFile) -> Path:
    """Write a file the bot sent into `folder`, owner-only, never over an earlier one: a second
    draft of the same document becomes csirt-checklist-2.xlsx."""
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(file.name).name or "file"  # a bare name: nothing outside the folder
    stem, suffix = Path(name).stem, Path(name).suffix
    for number in range(1, 1000):
        path = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
        try:
            write_private(path, file.data)
        except OutputExists:
            continue
        return path
    raise FileExistsError(f"{folder} holds 999 files named like {name}")


def render(reply: Outbound) -> str:
    lines = [reply.text]
    lines.extend(f"  {number}. {choice.label}" for number, choice in enumerate(reply.options, 1))
    return "\n".join(lines)


async def run_console(
    runtime: Runtime, user: str, *, language: str | None = None,
    stdin: TextIO | None = None, stdout: TextIO | None = None, background: bool | None = None,
    files_dir: Path = Path("helpdesk-files"),
) -> None:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    if language:
        await runtime.handle(Inbound(PLATFORM, user, text=f"/lang {language}", display_name=user))
    sender = ConsoleSender(runtime, stdout, files_dir)
    scheduler = None
    if interactive if background is None else background:
        # This process may also run the scheduler, so reminders get queued while you chat.
        from scheduler.background import run_background

        scheduler = asyncio.create_task(run_background(runtime))
    try:
        await _converse(runtime, user, language, stdin, stdout, interactive, sender)
    finally:
        if scheduler is not None:
            scheduler.cancel()
            await asyncio.gather(scheduler, return_exceptions=True)


async def _converse(
    runtime: Runtime, user: str, language: str | None, stdin: TextIO, stdout: TextIO, interactive: bool,
    sender: ConsoleSender,
) -> None:
    await sender.follow_language(user)
    await deliver_due(runtime.sessions, sender, clock=runtime.clock, chat_id=user)
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        # Reading a line blocks; a thread keeps the event loop free for the scheduler and timers.
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        inbound = sender.press(user, line, language) or Inbound(
            PLATFORM, user, text=line.rstrip("\r\n"), display_name=user, language=language
        )
        if isinstance(inbound, str):
            stdout.write(inbound + "\n")
            stdout.flush()
            continue
        for reply in await runtime.handle(inbound):
            stdout.write(sender.show(reply) + "\n")
        await sender.follow_language(user)
        await deliver_due(runtime.sessions, sender, clock=runtime.clock, chat_id=user)
        stdout.flush()
