"""`helpdesk draft DOCUMENT --company NAME --format md|docx|xlsx --output FILE`: a document drafted
from the company's hearing answers (bot/drafts), for whoever bot/policy allows; `helpdesk draft
versions` shows the secretariat which company has which document at which version."""

from __future__ import annotations

from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import typer

from bot.cli.common import AS_OPTION, FORCE_OPTION, Lang, fail, run, say, write_output

VERSIONS = "versions"


def draft(
    document: str = typer.Argument(..., help="csirt-checklist, csirt-description, response-flow, it-bcp, or versions"),
    company: Optional[str] = typer.Option(None, "--company"),
    fmt: Optional[str] = typer.Option(None, "--format", help="md, docx or xlsx (default: the document's first)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o"),
    force: bool = FORCE_OPTION,
    lang: Lang = typer.Option(Lang.ja, "--lang"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Draft a CSIRT document or the IT-BCP from a company's answers (【要確認】 where they say nothing)."""
    if document == VERSIONS:
        run(lambda: _versions(company, actor))
        return
    run(lambda: _draft(document, company, fmt, output, force, lang.value, actor))


async def _draft(
    document: str, company: str | None, fmt: str | None, output: Path | None, force: bool, lang: str, actor: str | None,
) -> None:
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.drafts.documents import NotBegun, company_draft, fits
    from bot.drafts.fill import questions_drawn_on
    from bot.drafts.versions import next_version
    from bot.engine.render import Speaker
    from bot.policy import Action
    from bot.store import repo
    from bot.store.models import utcnow

    async with open_app() as application:
        content = application.content
        template = content.drafts.get(document)
        if template is None:
            fail(say(application, "draft.unknown_document", name=document, names=", ".join(content.drafts)))
        chosen = fmt or template.formats[0]
        if chosen not in template.formats:
            fail(say(application, "draft.bad_format", title=template.title.get(lang), formats=", ".join(template.formats), format=chosen))
        if company is None or output is None:
            fail("--company and --output are needed")
        async with audited(application, actor, Action.MAKE_DRAFT, company) as handle:
            async with application.sessions() as session:
                found = await repo.company_by_name(session, company)
                if found is None:
                    fail(f"no company named {company!r}")
                if not fits(template, found.course) and template.other_course == "refuse":
                    fail(say(application, "draft.other_course_refused", title=template.title.get(lang),
                             course=say(application, f"course.{found.course}")))
                sp = Speaker(lang, content.book, content.words, utcnow().astimezone(ZoneInfo(application.settings.timezone)).date())
                try:
                    made = await company_draft(session, content, found, template, chosen, sp)
                except NotBegun:
                    fail(say(application, "draft.not_begun", company=found.name, questions=questions_drawn_on(template)))
                version = await next_version(session, found.id, template.name)
            handle.detail.update(document=template.name, format=chosen, version=version,
                                 answers=made.draft.answers_used, to_confirm=made.missing)
            write_output(output, made.data, force=force)
            typer.echo(f"{template.name} v{version}: {made.draft.answers_used} answers, {made.missing} to confirm")


async def _versions(company: str | None, actor: str | None) -> None:
    from bot.app import open_app
    from bot.cli.auth import require
    from bot.drafts.versions import latest, made_drafts
    from bot.policy import Action
    from bot.store import repo

    async with open_app() as application:
        await require(application, actor, Action.LIST_DRAFTS, company)
        async with application.sessions() as session:
            found = await repo.company_by_name(session, company) if company else None
            if company and found is None:
                fail(f"no company named {company!r}")
            made = latest(await made_drafts(session, found.id if found else None))
        typer.echo(say(application, "draft.versions_header"))
        tz = ZoneInfo(application.settings.timezone)
        for item in made:
            typer.echo(f"{item.company}\t{item.document}\tv{item.version}\t{item.at.astimezone(tz):%Y-%m-%d %H:%M}\t{item.by}")
