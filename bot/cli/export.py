"""`helpdesk export …`: the hearing report and incident reports, for whoever bot/policy allows."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import AS_OPTION, FORCE_OPTION, Lang, fail, run, write_output

export_app = typer.Typer(help="Reports.", no_args_is_help=True)


class ReportFormat(str, Enum):
    md = "md"
    xlsx = "xlsx"


class IncidentFormat(str, Enum):
    md = "md"
    json = "json"


@export_app.command("hearing")
def export_hearing(
    company: str = typer.Option(..., "--company"),
    fmt: ReportFormat = typer.Option(ReportFormat.md, "--format"),
    output: Path = typer.Option(..., "--output", "-o"),
    force: bool = FORCE_OPTION,
    lang: Lang = typer.Option(Lang.ja, "--lang"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Write the expert's briefing (ヒアリングシート結果報告書) for visit 1: a summary page with
    findings and what to clarify, the impact table, the answers by section, the sources."""
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.policy import Action
    from bot.reports.hearing import company_report, to_markdown
    from bot.reports.workbook import to_xlsx
    from bot.store import repo

    async def go() -> None:
        # The file is written inside the audited block: an export that fails is recorded as failed.
        async with open_app() as application, audited(application, actor, Action.EXPORT_HEARING, company):
            async with application.sessions() as session:
                found = await repo.company_by_name(session, company)
                report = await company_report(session, application.content, found, lang.value) if found else None
            if found is None:
                fail(f"no company named {company!r}")
            if report is None:
                fail(f"no hearing sheet in content for the course of {company!r}")
            write_output(output, to_markdown(report) if fmt is ReportFormat.md else to_xlsx(report), force=force)

    run(go)


@export_app.command("incident")
def export_incident(
    number: str = typer.Argument(..., help="INC-2026-0001"),
    fmt: IncidentFormat = typer.Option(IncidentFormat.md, "--format"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Default: standard output."),
    force: bool = FORCE_OPTION,
    lang: Lang = typer.Option(Lang.ja, "--lang"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Write an incident report with its timeline (layout close to the JPCERT/CC report)."""
    import json

    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.incidents import service
    from bot.incidents.export import incident_document, to_markdown
    from bot.policy import Action

    async def go() -> None:
        async with open_app() as application:
            async with application.sessions() as session:
                incident = await service.by_number(session, number)
            async with audited(
                application, actor, Action.EXPORT_INCIDENT, company_id=incident.company_id if incident else None,
                target=number[:32],
            ):
                async with application.sessions() as session:
                    document = await incident_document(session, application.content, number, lang.value)
                if document is None:
                    fail(f"no incident {number!r}")
                text = to_markdown(document) if fmt is IncidentFormat.md else json.dumps(document, ensure_ascii=False, indent=2)
                if output is None:
                    typer.echo(text)
                else:
                    write_output(output, text, force=force)

    run(go)
