"""`helpdesk actions sync --company NAME`: improvement items (改善アクション) from the company's
current findings, once per finding; `helpdesk actions list --company NAME` shows them
(bot/drafts/improvements.py). Who may is bot/policy's: the secretariat, the company's lead and its
assigned experts change them, its people read them."""

from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import AS_OPTION, fail, run, say

actions_app = typer.Typer(help="Improvement items (改善アクション) from the briefing's findings.", no_args_is_help=True)
COMPANY_OPTION = typer.Option(..., "--company", help="the company's registered name")


@actions_app.command("sync")
def sync_command(company: str = COMPANY_OPTION, actor: Optional[str] = AS_OPTION) -> None:
    """Add an item for each current finding of the company's hearing sheet that has none yet."""
    run(lambda: _sync(company, actor))


@actions_app.command("list")
def list_command(company: str = COMPANY_OPTION, actor: Optional[str] = AS_OPTION) -> None:
    """The company's items: number, status, owner, due date, title."""
    run(lambda: _list(company, actor))


async def _sync(company: str, actor: str | None) -> None:
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.drafts.improvements import items_of, sync
    from bot.policy import Action
    from bot.store import repo
    from bot.store.models import utcnow

    async with open_app() as application:
        async with audited(application, actor, Action.CHANGE_ACTIONS, company) as handle:
            async with application.sessions.begin() as session:
                found = await repo.company_by_name(session, company)
                if found is None:
                    fail(f"no company named {company!r}")
                if application.content.hearing_flow(found.course) is None:
                    fail(say(application, "actions.no_hearing", company=found.name))
                synced = await sync(session, application.content, found, utcnow())
                count = len(await items_of(session, found.id))
            handle.detail.update(change="sync", added=[item.source for item in synced.added])
        typer.echo(say(application, "actions.synced", company=found.name, findings=synced.findings,
                       added=len(synced.added), count=count))


async def _list(company: str, actor: str | None) -> None:
    from bot.app import open_app
    from bot.cli.auth import require
    from bot.drafts.improvements import items_of, people_of, person_name
    from bot.policy import Action
    from bot.store import repo

    async with open_app() as application:
        await require(application, actor, Action.READ_ACTIONS, company)
        async with application.sessions() as session:
            found = await repo.company_by_name(session, company)
            if found is None:
                fail(f"no company named {company!r}")
            items = await items_of(session, found.id)
            people = {p.id: person_name(p) for p in await people_of(session, found.id)}
        lang = application.settings.lang
        for item in items:
            owner = people.get(item.owner_id, "-") if item.owner_id is not None else "-"
            title = item.title_en if lang == "en" else item.title_ja
            typer.echo(f"{item.id}\t{item.status}\t{owner}\t{item.due_on or '-'}\t{item.source}\t{title}")
