"""`helpdesk console`: chat with the bot on this terminal or from a pipe, no tokens needed."""

from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import Lang, run


def console(
    user: Optional[str] = typer.Option(None, "--as", help="Who you are in this chat (default: your login name)."),
    lang: Optional[Lang] = typer.Option(None, "--lang", help="Language of the replies."),
) -> None:
    """Chat with the bot on this terminal (or from a pipe): one message per line."""
    from bot.app import open_app
    from bot.platforms.console import run_console
    from bot.cli.auth import login_name

    name = login_name(user)

    async def go() -> None:
        async with open_app(flood_control=False) as application:
            await run_console(
                application.runtime, name, language=lang.value if lang else None, files_dir=application.settings.files_dir,
            )

    run(go)
