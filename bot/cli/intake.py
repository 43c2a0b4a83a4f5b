"""`helpdesk intake`: what the free-text intake makes of a sentence, and what it could not match.

`try` shows the ranking for any sentence (content only, no database); `misses` lists what people
wrote that had no clear match, for the secretariat to add phrases to the content (bot/policy
decides, and reading is in the audit log: these are people's own words)."""

from __future__ import annotations

import typer

from bot.cli.common import AS_OPTION, run

intake_app = typer.Typer(help="Free-text intake: try a sentence, read the misses.", no_args_is_help=True)


@intake_app.command("try")
def intake_try(
    text: str = typer.Argument(..., help="A sentence as a person would type it."),
    limit: int = typer.Option(5, "--limit", min=1, max=20),
) -> None:
    """Print the targets the intake ranks for TEXT, best first, and whether the match is clear."""
    from bot.config import Settings
    from bot.content.loader import load_content
    from bot.intake.reading import index_for, read

    content = load_content(Settings().content_dir)
    reading = read(content, text)
    typer.echo(f"read as: {index_for(content).normaliser.text(reading.text).strip()}")
    if reading.too_short:
        typer.echo("too short to match")
        return
    matches = index_for(content).rank(reading.text, limit=limit)
    if not matches:
        typer.echo("no target shares a word with it")
        return
    verdict = "urgent, first steps shown" if reading.urgent else "clear" if reading.confident else "not clear (kept as a miss)"
    typer.echo(f"match: {verdict}")
    offered = {m.target.key for m in reading.matches}
    for match in matches:
        mark = "*" if match.target.key in offered else " "
        typer.echo(
            f"{mark} {match.score:.3f}  overlap {match.overlap:.3f}  {match.target.key}  "
            f"{match.target.label.ja} / {match.target.label.en}  (phrase: {match.phrase})"
        )


@intake_app.command("misses")
def intake_misses(
    since: str = typer.Option("7d", "--since", help="How far back: 7d, 36h, 2w."),
    limit: int = typer.Option(200, "--limit", min=1),
    actor: str | None = AS_OPTION,
) -> None:
    """Messages without a clear match, newest first: when, platform, language, best guess, text."""
    from zoneinfo import ZoneInfo

    from bot.app import open_app
    from bot.cli.auth import require
    from bot.cli.common import parse_period
    from bot.intake import misses
    from bot.policy import Action
    from bot.store.models import IntakeMiss, utcnow

    period = parse_period(since)

    async def go() -> list[IntakeMiss]:
        async with open_app() as application:
            await require(application, actor, Action.READ_INTAKE_MISSES)
            async with application.sessions() as session:
                return await misses.since(session, utcnow() - period, limit)

    rows = run(go)
    tokyo = ZoneInfo("Asia/Tokyo")
    for row in rows:
        guess = f"{row.best} ({row.score:.2f})" if row.best is not None and row.score is not None else "-"
        text = " ".join(row.text.split())  # one line per miss
        typer.echo(f"{row.created_at.astimezone(tokyo):%Y-%m-%d %H:%M}\t{row.platform}\t{row.language}\t{guess}\t{text}")
    typer.echo(f"{len(rows)} miss(es) in the last {since}", err=True)
