"""`helpdesk serve slack|telegram`: the bot on a chat platform. The platform library is imported
by the command that serves it, and only then."""

from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import run

serve_app = typer.Typer(help="Run the bot on a chat platform, or the secretariat's web desk.", no_args_is_help=True)


@serve_app.command("web")
def serve_web(
    port: int = typer.Option(8080, "--port", help="HTTP port of the web desk."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (behind an https proxy: keep 127.0.0.1)."),
) -> None:
    """The secretariat's web desk alone (sign in with `helpdesk web login --as NAME`)."""
    from bot.app import open_app
    from bot.web.app import serve_web as serve

    async def go() -> None:
        async with open_app() as application:
            typer.echo(f"web desk on http://{host}:{port}/ (sign in: helpdesk web login --as NAME --port {port})", err=True)
            await serve(application, port, host)

    run(go)


@serve_app.command("slack")
def serve_slack(
    port: int = typer.Option(3000, "--port", help="HTTP port for /slack/events (ignored in Socket Mode)."),
) -> None:
    """Slack: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --port at /slack/events (and the
    web desk on HELPDESK_WEB_PORT when set)."""
    from bot.app import open_app
    from bot.platforms.slack import serve
    from bot.web.app import beside_web

    async def go() -> None:
        async with open_app() as application:
            await beside_web(application, serve(application, port=port))

    run(go)


@serve_app.command("telegram")
def serve_telegram(
    webhook_url: Optional[str] = typer.Option(None, "--webhook-url", help="Public URL of the webhook (default: long polling)."),
    port: int = typer.Option(8443, "--port", help="Port the webhook listens on."),
) -> None:
    """Telegram: long polling, or a webhook with --webhook-url (secret HELPDESK_TELEGRAM_WEBHOOK_SECRET);
    the web desk too on HELPDESK_WEB_PORT when set."""
    from bot.app import open_app
    from bot.platforms.telegram import serve
    from bot.web.app import beside_web

    async def go() -> None:
        async with open_app() as application:
            await beside_web(application, serve(application, webhook_url=webhook_url, port=port))

    run(go)
