"""A company renamed or moved to the other course, as `helpdesk company rename|course` and the web
desk's company page do it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import repo
from bot.store.models import Company
from bot.store.names import MAX_NAME, name_problem
from scheduler.companies import company_named
from scheduler.errors import ProgrammeError


async def rename_company(session: AsyncSession, name: str, new_name: str) -> tuple[Company, str]:
    """The company `name` means, given `new_name`: stored as typed, compared after NFKC like every
    company name, so a name another company has in another width is refused. Returns the company
    and its old name."""
    problem = name_problem(new_name)
    if problem is not None:
        raise ProgrammeError(problem, max=MAX_NAME)
    company = await company_named(session, name)
    other = await repo.company_by_name(session, new_name)
    if other is not None and other.id != company.id:
        raise ProgrammeError("company.exists", name=new_name, existing=other.name)
    old = company.name
    company.name = new_name
    return company, old


def change_course(company: Company, course: str) -> str:
    """Seed 000: a company settles its course with its expert; the answers already given stay as
    they are. The caller checks the course is one content/programme.yaml lists. Returns the old."""
    old = company.course
    company.course = course
    return old
