"""bot/policy.decide as a matrix: every role × every action × own and other company.

The expected table is written out by hand from the issue's rules, not computed: it is the spec."""

from __future__ import annotations

import pytest

from bot.policy import Action, Actor, Resource, decide, decide_event

OWN, OTHER = 1, 2
ME, COLLEAGUE = 10, 11

ACTORS = {
    "unregistered": Actor(ME, None, None),
    "member": Actor(ME, "member", OWN),
    "lead": Actor(ME, "lead", OWN),
    "expert": Actor(ME, "expert", None, frozenset({OWN})),
    "secretariat": Actor(ME, "secretariat", None),
}

# (action) -> {role: (own company, other company)}; items owned by a colleague, not the actor.
COMPANY_DATA = {
    # The sheet is the company's, answered together: every member reads it.
    Action.READ_HEARING: {"member": (True, False), "lead": (True, False), "expert": (True, False)},
    Action.EXPORT_HEARING: {"member": (True, False), "lead": (True, False), "expert": (True, False)},
    # Submitting is the lead's, unless the lead allowed members (tested below); experts advise.
    Action.SUBMIT_HEARING: {"member": (False, False), "lead": (True, False), "expert": (False, False)},
    Action.DELEGATE_SUBMIT: {"member": (False, False), "lead": (True, False), "expert": (False, False)},
    Action.READ_INCIDENT: {"member": (True, False), "lead": (True, False), "expert": (True, False)},
    Action.UPDATE_INCIDENT: {"member": (True, False), "lead": (True, False), "expert": (True, False)},
    Action.MOVE_INCIDENT: {"member": (False, False), "lead": (True, False), "expert": (True, False)},
    Action.EXPORT_INCIDENT: {"member": (True, False), "lead": (True, False), "expert": (True, False)},
    Action.READ_VISITS: {"member": (True, False), "lead": (True, False), "expert": (True, False)},
    Action.LINK_GROUP: {"member": (False, False), "lead": (True, False), "expert": (False, False)},
    # Issue 19: the company's people read its drafts; its assigned experts too.
    Action.MAKE_DRAFT: {"member": (True, False), "lead": (True, False), "expert": (True, False)},
    # Issue 19.4: improvement items are read by the company's people, changed by its lead and experts.
    Action.READ_ACTIONS: {"member": (True, False), "lead": (True, False), "expert": (True, False)},
    Action.CHANGE_ACTIONS: {"member": (False, False), "lead": (True, False), "expert": (True, False)},
}
SECRETARIAT_ONLY = [
    Action.MANAGE_COMPANIES, Action.INVITE, Action.CHANGE_ROLE, Action.MANAGE_VISITS, Action.MANAGE_EVENTS,
    Action.BROADCAST, Action.OVERVIEW, Action.READ_AUDIT, Action.PURGE_COMPANY, Action.READ_INTAKE_MISSES,
    Action.LIST_DRAFTS,
]
# Acting for one's own company, with no other company's data involved.
OWN_WORK = {
    Action.ANSWER_HEARING: {"member": True, "lead": True, "expert": False},
    Action.FILE_INCIDENT: {"member": True, "lead": True, "expert": False},
    Action.READ_OWN_ANSWERS: {"member": True, "lead": True, "expert": False},
    # The web desk is for those who follow companies; members have the chat.
    Action.WEB_SIGN_IN: {"member": False, "lead": True, "expert": True},
}


def cases() -> list[tuple[str, Action, str, bool]]:
    out = []
    for action, table in COMPANY_DATA.items():
        for role in ACTORS:
            for where, company in (("own", OWN), ("other", OTHER)):
                if role == "secretariat":
                    expected = True
                elif role == "unregistered":
                    expected = False
                else:
                    expected = table[role][0 if company == OWN else 1]
                out.append((role, action, where, expected))
    for action in SECRETARIAT_ONLY:
        for role in ACTORS:
            for where in ("own", "other"):
                out.append((role, action, where, role == "secretariat"))
    for action, table in OWN_WORK.items():
        for role in ACTORS:
            expected = role == "secretariat" or table.get(role, False)
            out.append((role, action, "own", expected))
    for role in ACTORS:
        out.append((role, Action.TRIAGE, "own", True))
    return out


def test_every_action_is_in_the_matrix() -> None:
    covered = set(COMPANY_DATA) | set(SECRETARIAT_ONLY) | set(OWN_WORK) | {Action.TRIAGE}
    assert covered == set(Action)


@pytest.mark.parametrize(("role", "action", "where", "expected"), cases())
def test_matrix(role: str, action: Action, where: str, expected: bool) -> None:
    company = OWN if where == "own" else OTHER
    resource = Resource(company_id=company, owner_id=COLLEAGUE) if action in COMPANY_DATA else Resource()
    decision = decide(ACTORS[role], action, resource)
    assert decision.allowed is expected, decision.reason


def test_members_see_their_companys_sheet_and_reports_they_filed() -> None:
    member = ACTORS["member"]
    assert decide(member, Action.READ_HEARING, Resource(OWN, owner_id=COLLEAGUE)).allowed
    assert decide(member, Action.MOVE_INCIDENT, Resource(OWN, owner_id=ME)).allowed
    assert not decide(member, Action.READ_HEARING, Resource(OTHER, owner_id=ME)).allowed


def test_a_member_submits_only_once_the_lead_allowed_it() -> None:
    member, expert = ACTORS["member"], ACTORS["expert"]
    assert not decide(member, Action.SUBMIT_HEARING, Resource(OWN)).allowed
    assert decide(member, Action.SUBMIT_HEARING, Resource(OWN, delegated=True)).allowed
    assert not decide(member, Action.SUBMIT_HEARING, Resource(OTHER, delegated=True)).allowed
    assert not decide(expert, Action.SUBMIT_HEARING, Resource(OWN, delegated=True)).allowed


def test_a_missing_company_is_refused_like_another_companys() -> None:
    """Unknown resources (company None) never reveal anything to non-secretariat people."""
    for role in ("member", "lead", "expert"):
        for action in COMPANY_DATA:
            assert not decide(ACTORS[role], action, Resource(company_id=None)).allowed


# decide_event: (role) -> allowed for an event sent to (all, own course, other course, own company, other company).
EVENT_AUDIENCES = [("all", None), ("course", "csirt"), ("course", "it-bcp"), ("company", OWN), ("company", OTHER)]
EVENTS = {
    "unregistered": (False, False, False, False, False),
    "member": (True, True, False, True, False),
    "lead": (True, True, False, True, False),
    "expert": (True, False, False, False, False),
    "secretariat": (True, True, True, True, True),
}


@pytest.mark.parametrize("role", sorted(EVENTS))
def test_an_event_is_seen_and_answered_by_its_audience(role: str) -> None:
    course = "csirt" if ACTORS[role].company_id == OWN else None
    found = tuple(decide_event(ACTORS[role], kind, value, course).allowed for kind, value in EVENT_AUDIENCES)
    assert found == EVENTS[role]
    assert not decide_event(ACTORS[role], "nowhere", None, course).allowed or role == "secretariat"


def test_incident_companies_is_exactly_whom_decide_lets_read() -> None:
    """The list and short references look among incident_companies; it must agree with decide."""
    from bot.policy import incident_companies

    actors = [
        Actor(1, "member", 10), Actor(2, "lead", 10), Actor(3, "expert", None, frozenset({10, 11})),
        Actor(4, "secretariat", None), Actor(5, None, None), Actor(6, "member", None),
    ]
    for actor in actors:
        scope = incident_companies(actor)
        for company in (10, 11, 12):
            readable = decide(actor, Action.READ_INCIDENT, Resource(company_id=company, owner_id=99)).allowed
            assert readable == (scope is None or company in scope), (actor, company)
