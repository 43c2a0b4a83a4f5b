"""Who may see and do what: the one place for access decisions.

Every participant signs a participation agreement that binds them to confidentiality: a company's
hearing answers, incidents and visits are open to its own people, its assigned experts and the
secretariat, and to nobody else. Only the secretariat speaks to everyone. People who are not
registered get the public triage and contacts, and how to join.

`decide` is pure (tested as a matrix); `authorize` also writes the audit log, for refusals and for
reads and exports of a company's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AuditEntry, ExpertAssignment, Person


class Role(str, Enum):
    MEMBER = "member"
    LEAD = "lead"
    EXPERT = "expert"
    SECRETARIAT = "secretariat"


class Action(str, Enum):
    # public
    TRIAGE = "triage"
    # a company's data
    ANSWER_HEARING = "answer_hearing"
    SUBMIT_HEARING = "submit_hearing"  # the lead, or a member once the lead allowed it
    DELEGATE_SUBMIT = "delegate_submit"  # the lead lets members submit the sheet
    READ_OWN_ANSWERS = "read_own_answers"
    READ_HEARING = "read_hearing"  # the company's whole hearing report
    EXPORT_HEARING = "export_hearing"
    FILE_INCIDENT = "file_incident"
    READ_INCIDENT = "read_incident"
    UPDATE_INCIDENT = "update_incident"  # notes, checklist ticks, files
    MOVE_INCIDENT = "move_incident"  # status changes
    LINK_GROUP = "link_group"  # where the company's incident notices go
    EXPORT_INCIDENT = "export_incident"
    READ_VISITS = "read_visits"
    # A document drafted from the company's answers (bot/drafts): its people, its assigned experts
    # and the secretariat; each one made is audited with its document and version.
    MAKE_DRAFT = "make_draft"
    # Improvement items (改善アクション, bot/drafts/improvements.py): the company's people read them;
    # the lead, the assigned experts and the secretariat make them from the findings and change
    # their owner, due date and status.
    READ_ACTIONS = "read_actions"
    CHANGE_ACTIONS = "change_actions"
    # the secretariat's work
    MANAGE_COMPANIES = "manage_companies"
    INVITE = "invite"
    CHANGE_ROLE = "change_role"
    MANAGE_VISITS = "manage_visits"
    MANAGE_EVENTS = "manage_events"
    BROADCAST = "broadcast"
    OVERVIEW = "overview"
    READ_AUDIT = "read_audit"
    PURGE_COMPANY = "purge_company"
    READ_INTAKE_MISSES = "read_intake_misses"  # what people wrote that the intake did not match
    LIST_DRAFTS = "list_drafts"  # which company has which draft at which version
    # the web desk: signing in (the secretariat, experts, company leads; members use the chat)
    WEB_SIGN_IN = "web_sign_in"


SECRETARIAT_ONLY = {
    Action.MANAGE_COMPANIES, Action.INVITE, Action.CHANGE_ROLE, Action.MANAGE_VISITS, Action.MANAGE_EVENTS,
    Action.BROADCAST, Action.OVERVIEW, Action.READ_AUDIT, Action.PURGE_COMPANY, Action.READ_INTAKE_MISSES,
    Action.LIST_DRAFTS,
}
# Logged even when allowed: reading or exporting a company's data, and the secretariat's actions.
# Inviting, changing a role and purging are logged by their commands, with what they did.
AUDITED_WHEN_ALLOWED = {
    Action.READ_HEARING, Action.SUBMIT_HEARING, Action.DELEGATE_SUBMIT, Action.EXPORT_HEARING, Action.EXPORT_INCIDENT, Action.READ_INCIDENT,
    Action.LINK_GROUP, Action.BROADCAST, Action.MANAGE_COMPANIES, Action.MANAGE_VISITS, Action.MANAGE_EVENTS,
    Action.READ_INTAKE_MISSES, Action.MAKE_DRAFT, Action.LIST_DRAFTS, Action.WEB_SIGN_IN,
    Action.READ_ACTIONS, Action.CHANGE_ACTIONS,
}
WEB_ROLES = (Role.SECRETARIAT, Role.EXPERT, Role.LEAD)


@dataclass(frozen=True)
class Actor:
    person_id: int | None
    role: str | None
    company_id: int | None
    expert_companies: frozenset[int] = frozenset()
    label: str = ""

    @property
    def registered(self) -> bool:
        return self.role is not None


@dataclass(frozen=True)
class Resource:
    """What an action is on: a company's data, and who owns the item (a respondent, a reporter)."""

    company_id: int | None = None
    owner_id: int | None = None
    name: str | None = None  # for the audit log: "INC-2026-0001", a company name
    delegated: bool = False  # the company's lead let members do this (submit the hearing sheet)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # for the audit log and tests; never shown to the refused person


def decide(actor: Actor, action: Action, resource: Resource = Resource()) -> Decision:
    if action is Action.TRIAGE:
        return Decision(True, "public")
    if action is Action.WEB_SIGN_IN:
        allowed = actor.role in WEB_ROLES
        return Decision(allowed, "web desk role" if allowed else "the web desk is for the secretariat, experts and leads")
    if actor.role == Role.SECRETARIAT:
        return Decision(True, "secretariat")
    if action in SECRETARIAT_ONLY:
        return Decision(False, "secretariat only")
    company = resource.company_id
    own = company is not None and actor.company_id == company
    assigned = company is not None and company in actor.expert_companies
    if actor.role == Role.EXPERT:
        # Experts advise the companies they are assigned to: they read and follow, they do not
        # answer the company's questionnaire or report its incidents.
        if not assigned:
            return Decision(False, "expert not assigned to this company")
        if action in (
            Action.ANSWER_HEARING, Action.FILE_INCIDENT, Action.READ_OWN_ANSWERS, Action.LINK_GROUP,
            Action.SUBMIT_HEARING, Action.DELEGATE_SUBMIT,
        ):
            return Decision(False, "experts do not answer or decide for a company")
        return Decision(True, "assigned expert")
    if actor.role not in (Role.MEMBER, Role.LEAD):
        return Decision(False, "not registered")
    if action in (Action.ANSWER_HEARING, Action.FILE_INCIDENT, Action.READ_OWN_ANSWERS):
        return Decision(actor.company_id is not None, "own company" if actor.company_id else "no company")
    if not own:
        return Decision(False, "another company")
    if action in (Action.READ_HEARING, Action.EXPORT_HEARING):
        # The sheet is the company's, answered together: every member reads it.
        return Decision(True, "own company")
    if action is Action.SUBMIT_HEARING:
        allowed = actor.role == Role.LEAD or resource.delegated
        return Decision(allowed, "company lead" if actor.role == Role.LEAD else ("lead allowed members" if allowed else "lead only"))
    if action is Action.DELEGATE_SUBMIT:
        return Decision(actor.role == Role.LEAD, "company lead" if actor.role == Role.LEAD else "lead only")
    if action in (Action.LINK_GROUP, Action.CHANGE_ACTIONS):
        return Decision(actor.role == Role.LEAD, "company lead" if actor.role == Role.LEAD else "lead only")
    if action is Action.MOVE_INCIDENT:
        allowed = actor.role == Role.LEAD or resource.owner_id == actor.person_id
        return Decision(allowed, "reporter or lead" if allowed else "only the reporter or the lead")
    return Decision(True, "own company")  # read/update incidents, export them, read visits and actions


def incident_companies(actor: Actor) -> frozenset[int] | None:
    """Whose incidents a list or a short reference (`7`, `INC-7`) looks among: None for every
    company (the secretariat), else the companies `decide` lets the actor read. Kept beside
    `decide` so the two cannot drift: each listed incident is still checked with READ_INCIDENT."""
    if actor.role == Role.SECRETARIAT:
        return None
    if actor.role == Role.EXPERT:
        return actor.expert_companies
    if actor.role in (Role.MEMBER, Role.LEAD) and actor.company_id is not None:
        return frozenset({actor.company_id})
    return frozenset()


def decide_event(actor: Actor, kind: str, value: str | int | None, actor_course: str | None) -> Decision:
    """May the actor see an event and answer it? Its audience is `kind` all | course | company with
    `value` the course id or the company's id (scheduler/audience.py resolves the name), and
    `actor_course` the course of the actor's company. An event sent to one company or one course is
    that audience's: the others do not see it, let alone take its seats."""
    if actor.role == Role.SECRETARIAT:
        return Decision(True, "secretariat")
    if not actor.registered:
        return Decision(False, "not registered")
    if kind == "all":
        return Decision(True, "everyone registered")
    if actor.role not in (Role.MEMBER, Role.LEAD):
        return Decision(False, "participants only")
    if kind == "course":
        return Decision(actor_course is not None and actor_course == value, "own course" if actor_course == value else "another course")
    if kind == "company":
        own = actor.company_id is not None and actor.company_id == value
        return Decision(own, "own company" if own else "another company")
    return Decision(False, "unknown audience")


async def actor_for(session: AsyncSession, person: Person | None, label: str) -> Actor:
    if person is None:
        return Actor(None, None, None, label=label)
    companies: frozenset[int] = frozenset()
    if person.role == Role.EXPERT:
        companies = frozenset(
            await session.scalars(select(ExpertAssignment.company_id).where(ExpertAssignment.person_id == person.id))
        )
    return Actor(person.id, person.role, person.company_id, companies, label)


# What an audited action came to (AuditEntry.detail["outcome"]). An action the policy allowed is
# "started" until its command knows how it ended: "done", or "failed" with the reason; a failed one
# is never left reading as allowed. An entry still "started" is one whose process stopped midway.
STARTED, DONE, FAILED = "started", "done", "failed"


def audit(
    session: AsyncSession, actor: Actor, action: str, now: datetime, *, allowed: bool,
    company_id: int | None = None, target: str | None = None, detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now, actor_id=actor.person_id, actor_label=actor.label[:200], action=action, allowed=allowed,
        company_id=company_id, target=(target or "")[:200] or None, detail=detail,
    )
    session.add(entry)
    return entry


def authorize_entry(
    session: AsyncSession, actor: Actor, action: Action, resource: Resource, now: datetime,
    detail: dict[str, Any] | None = None, *, outcome: str | None = None,
) -> tuple[bool, AuditEntry | None]:
    """Decide and record: refusals always, reads and exports of company data when allowed. With
    `outcome` (STARTED) an allowed entry is written as started, for `settle` to finish."""
    decision = decide(actor, action, resource)
    entry = None
    if not decision.allowed or action in AUDITED_WHEN_ALLOWED or outcome is not None:
        extra = {"outcome": outcome} if decision.allowed and outcome is not None else {}
        entry = audit(
            session, actor, action.value, now, allowed=decision.allowed, company_id=resource.company_id,
            target=resource.name, detail={"reason": decision.reason, **(detail or {}), **extra},
        )
    return decision.allowed, entry


def authorize(
    session: AsyncSession, actor: Actor, action: Action, resource: Resource, now: datetime,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Decide and record (see authorize_entry); True when allowed."""
    return authorize_entry(session, actor, action, resource, now, detail)[0]


def settle(entry: AuditEntry, error: str | None) -> None:
    """Finish a started entry: done, or failed with the reason (and then no longer `allowed`)."""
    detail = dict(entry.detail or {})
    detail["outcome"] = DONE if error is None else FAILED
    if error is not None:
        detail["error"] = error[:300]
        entry.allowed = False
    entry.detail = detail
