"""`helpdesk scheduler …`: the scheduler and the delivery workers without a chat server, and the
reminders it has planned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import typer

from bot.cli.calendar import run_programme
from bot.cli.common import AS_OPTION, run
from bot.policy import Action

if TYPE_CHECKING:
    from bot.app import App

scheduler_app = typer.Typer(help="The scheduler and the delivery workers.", no_args_is_help=True)


@scheduler_app.command("run")
def scheduler_run() -> None:
    """Deliver notices on every platform whose token is set (TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN) and
    run the scheduler when this process holds its lock; stops on SIGTERM or Ctrl-C."""
    import asyncio
    import signal
    from contextlib import AsyncExitStack

    from bot.app import open_app
    from bot.logs import configure_logging
    from scheduler.background import run_background

    async def go() -> None:
        async with open_app() as application, AsyncExitStack() as stack:
            configure_logging(application.settings)
            senders = await _senders(application, stack)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            platforms = ", ".join(s.platform for s in senders) or "none (scheduler only)"
            typer.echo(f"scheduler: delivering on {platforms}; stop with Ctrl-C", err=True)
            await run_background(application.runtime, senders, stop=stop)

    run(go)


async def _senders(application: App, stack: Any) -> list[Any]:
    """A Sender for each platform configured; platform libraries are imported only when used."""
    senders: list[Any] = []
    settings = application.settings
    if settings.telegram_bot_token is not None:
        from bot.platforms.telegram import telegram_sender

        senders.append(await stack.enter_async_context(telegram_sender(application)))
    if settings.slack_bot_token is not None:
        from bot.platforms.slack import slack_sender

        senders.append(slack_sender(application))
    return senders


@scheduler_app.command("jobs")
def scheduler_jobs(actor: Optional[str] = AS_OPTION) -> None:
    """The reminders of the coming visits and events, when each is due (Japan time) and its state."""
    from bot.store.models import utcnow
    from scheduler.localtime import format_cli
    from scheduler.reminders import planned

    async def make(application: App, who: Any) -> list[str]:
        now = utcnow()
        tz = application.runtime.tz
        reminders = await planned(application.sessions, application.content, tz, now)
        return [f"{r.ref}\t{format_cli(r.due, tz)}\t{r.state(now)}" for r in sorted(reminders, key=lambda r: r.due)]

    lines = run_programme(Action.MANAGE_VISITS, make, actor)
    typer.echo("\n".join(lines) if lines else "no reminders planned")
