"""`helpdesk content …`: check the content files, draw a flow as a Mermaid diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import fail

content_app = typer.Typer(help="Content files (questions, messages, contacts).", no_args_is_help=True)


@content_app.command("check")
def content_check(
    directory: Optional[Path] = typer.Option(None, "--dir", help="Content directory (default: the bot's)."),
) -> None:
    """Validate every content file; print file, key path and problem for each error."""
    from bot.config import Settings
    from bot.content.loader import check_content

    target = directory or Settings().content_dir
    issues = check_content(target)
    for issue in issues:
        typer.echo(str(issue))
    if issues:
        typer.echo(f"{len(issues)} problem(s) in {target}", err=True)
        raise typer.Exit(1)
    from bot.content.loader import load_content
    from bot.intake.check import overlapping_phrases

    # Warnings, not errors: the secretariat decides which phrase to reword (content/intake.yaml).
    overlaps = overlapping_phrases(load_content(target))
    typer.echo(f"content OK: {target}" + (f" ({len(overlaps)} intake phrase warning(s) follow)" if overlaps else ""))
    for overlap in overlaps:
        typer.echo(f"warning: intake phrases: {overlap}")


@content_app.command("diagram")
def content_diagram(which: str = typer.Argument("triage", help="triage, or a flow id such as hearing_csirt")) -> None:
    """Print a Mermaid diagram of the triage tree or a questionnaire, for review."""
    from bot.config import Settings
    from bot.content.diagram import flow_diagram, triage_diagram
    from bot.content.loader import load_content

    content = load_content(Settings().content_dir)
    if which == "triage" and content.response.triage is not None:
        typer.echo(triage_diagram(content.response.triage.tree))
    elif which in content.flows:
        typer.echo(flow_diagram(content.flows[which]))
    elif which == "incident" and content.response.incident_flow is not None:
        typer.echo(flow_diagram(content.response.incident_flow))
    else:
        fail(f"no triage tree or flow named {which!r} (flows: {', '.join(content.flows)}, incident)")
