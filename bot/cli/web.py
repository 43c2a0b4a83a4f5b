"""`helpdesk web login --as NAME`: a one-time sign-in link to the web desk for that console account
(the secretariat, an expert or a lead; bot/policy decides and the audit log records it). Unlike the
other commands there is no set-up mode: the desk is for a registered account only."""

from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import AS_OPTION, fail, run

web_app = typer.Typer(help="The secretariat's web desk: sign-in links.", no_args_is_help=True)


@web_app.command("login")
def login(
    port: Optional[int] = typer.Option(None, "--port", help="The port `serve web` listens on (for the printed URL; default HELPDESK_WEB_PORT or 8080)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Print a sign-in link (valid 10 minutes, once) at HELPDESK_WEB_BASE_URL or http://127.0.0.1:PORT."""
    from bot.app import open_app
    from bot.cli.auth import CONSOLE, login_name
    from bot.cli.common import say
    from bot.policy import actor_for
    from bot.store import repo
    from bot.store.models import utcnow
    from bot.web.links import base_url, sign_in_url

    name = login_name(actor)

    async def go() -> str | None:
        async with open_app() as application:
            async with application.sessions.begin() as session:
                person = await repo.person_by_platform(session, CONSOLE, name)
                who = await actor_for(session, person, f"cli:{name}")
                url = await sign_in_url(session, who, utcnow(), base_url(application.settings, port))
            return say(application, "web.link_cli", url=url) if url else None

    line = run(go)
    if line is None:
        fail("not allowed, or not found (this is recorded in the audit log): the web desk is for the secretariat, experts and leads", code=3)
    typer.echo(line)
