"""Which module lays out which template, and the one entry point: a company's draft as a file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.drafts import DraftTemplate
from bot.content.loader import Content
from bot.drafts import checklist, description, it_bcp, response_flow
from bot.drafts.answers import company_answers
from bot.drafts.fill import Draft, fill
from bot.engine.render import Speaker
from bot.store.models import Company

RENDERERS: dict[str, Callable[[Draft, str, Speaker], bytes]] = {
    "csirt_checklist": checklist.render,
    "csirt_description": description.render,
    "response_flow": response_flow.render,
    "it_bcp": it_bcp.render,
}
MIME = {
    "md": "text/markdown",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class DraftFile:
    name: str  # csirt-checklist.xlsx
    mime_type: str
    data: bytes
    draft: Draft

    @property
    def missing(self) -> int:
        return sum(1 for f in self.draft.fields() if f.missing)


class NotBegun(Exception):
    """The company has no answers yet: a draft would be nothing but 【要確認】."""


def fits(template: DraftTemplate, course: str) -> bool:
    return course in template.courses


def offered(content: Content, course: str) -> list[DraftTemplate]:
    """The documents a company of this course may ask for: its own, then others offered with a note."""
    templates = list(content.drafts.values())
    return [t for t in templates if fits(t, course)] + [
        t for t in templates if not fits(t, course) and t.other_course == "offer"
    ]


async def company_draft(
    session: AsyncSession, content: Content, company: Company, template: DraftTemplate, fmt: str, sp: Speaker,
) -> DraftFile:
    """Raise NotBegun when the hearing has no answer yet."""
    answers = await company_answers(session, content, company)
    if not any(not a.skipped for a in answers.values()):
        raise NotBegun(company.name)
    draft = fill(template, content, company.name, company.course, answers, sp)
    data = RENDERERS[template.id](draft, fmt, sp)
    return DraftFile(f"{template.name}.{fmt}", MIME[fmt], data, draft)
