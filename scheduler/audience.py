"""Who a notice goes to: `all`, `course:csirt`, `course:it-bcp`, `company:NAME` (participants, that
is the companies' members and leads), and the people around one company or event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.parse import clean_text
from bot.policy import Actor, Decision, decide_event
from bot.store import repo
from bot.store.models import Company, ExpertAssignment, Person
from bot.store.outbox import Recipient
from scheduler.companies import company_named
from scheduler.errors import ProgrammeError

PARTICIPANT_ROLES = ("member", "lead")
COURSES = ("csirt", "it-bcp")


@dataclass(frozen=True)
class Audience:
    kind: str  # all | course | company
    value: str = ""

    def __str__(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{self.value}"


def parse_audience(text: str) -> Audience:
    cleaned = clean_text(text)
    kind, _, value = cleaned.partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if kind == "all" and not value:
        return Audience("all")
    if kind == "course" and value.lower() in COURSES:
        return Audience("course", value.lower())
    if kind == "company" and value:
        return Audience("company", value)
    raise ProgrammeError("programme.bad_audience", audience=cleaned[:60])


def recipient_of(person: Person) -> Recipient:
    # A person's first account is where the bot reaches them (linked accounts share the person).
    return Recipient(person.platform, person.platform_user_id, person.language, person.id)


PREVIEW_NAMES = 5  # how many recipients a notice's preview names before "and N more"


def first_recipients(people: list[Person], shown: int = PREVIEW_NAMES) -> tuple[list[str], int]:
    """The names a preview shows, and how many more there are."""
    names = [p.display_name or f"{p.platform}:{p.platform_user_id}" for p in people[:shown]]
    return names, max(0, len(people) - shown)


async def participants(session: AsyncSession, audience: Audience) -> list[Person]:
    query = (
        select(Person)
        .join(Company, Company.id == Person.company_id)
        .where(Person.role.in_(PARTICIPANT_ROLES))
        .order_by(Person.id)
    )
    if audience.kind == "course":
        query = query.where(Company.course == audience.value)
    elif audience.kind == "company":
        company = await company_named(session, audience.value)
        query = query.where(Company.id == company.id)
    return list(await session.scalars(query))


async def event_decision(session: AsyncSession, person: Person, audience: str) -> Decision:
    """bot.policy.decide_event for an event's stored audience ("company:A社", "course:csirt", "all"),
    the company named resolved to its id as `participants` resolves it for the invitation."""
    try:
        parsed = parse_audience(audience)
    except ProgrammeError:
        parsed = Audience("unknown")
    value: str | int | None = parsed.value
    if parsed.kind == "company":
        company = await repo.company_by_name(session, parsed.value)
        value = company.id if company is not None else None
    course = None
    if parsed.kind == "course":
        own = await repo.company_by_id(session, person.company_id)
        course = own.course if own is not None else None
    return decide_event(Actor(person.id, person.role, person.company_id), parsed.kind, value, course)


async def company_people(session: AsyncSession, company_id: int, experts: Iterable[int | None] = ()) -> list[Person]:
    """A company's members and leads, and those of the `experts` named (the visit's expert) who
    are assigned to that company: an expert who is not is never told about its visits."""
    people = list(
        await session.scalars(
            select(Person).where(Person.company_id == company_id, Person.role.in_(PARTICIPANT_ROLES)).order_by(Person.id)
        )
    )
    wanted = [person_id for person_id in experts if person_id is not None and all(p.id != person_id for p in people)]
    if wanted:
        people += list(
            await session.scalars(
                select(Person).join(ExpertAssignment, ExpertAssignment.person_id == Person.id)
                .where(ExpertAssignment.company_id == company_id, Person.id.in_(wanted)).order_by(Person.id)
            )
        )
    return people


async def secretariat(session: AsyncSession) -> list[Person]:
    return list(await session.scalars(select(Person).where(Person.role == "secretariat").order_by(Person.id)))
