"""`helpdesk audit`: who read, exported, broadcast or changed what, and every refusal."""

from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import AS_OPTION, run


def audit(
    company: Optional[str] = typer.Option(None, "--company"),
    limit: int = typer.Option(100, "--limit", min=1),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Who read or exported which company's data, who broadcast, who changed roles, and refusals."""
    from sqlalchemy import select

    from bot.app import open_app
    from bot.cli.auth import require
    from bot.policy import Action
    from bot.store import repo
    from bot.store.models import AuditEntry

    async def go() -> list[AuditEntry]:
        async with open_app() as application:
            await require(application, actor, Action.READ_AUDIT)
            async with application.sessions() as session:
                query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
                if company is not None:
                    found = await repo.company_by_name(session, company)
                    query = query.where(AuditEntry.company_id == (found.id if found else -1))
                return list(await session.scalars(query))

    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    for entry in reversed(run(go)):
        detail = entry.detail or {}
        verdict = {"failed": "FAILED", "started": "started"}.get(detail.get("outcome", ""), "")
        verdict = verdict or ("allowed" if entry.allowed else "REFUSED")
        reason = f"{detail['error']} ({detail.get('reason', '')})" if "error" in detail else detail.get("reason", "")
        typer.echo(
            f"{entry.at.astimezone(tokyo):%Y-%m-%d %H:%M:%S}\t{entry.actor_label}\t{entry.action}\t{verdict}"
            f"\t{entry.target or ''}\t{reason}"
        )
