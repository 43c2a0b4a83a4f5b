"""Invitation codes on the CLI: `invite list` shows them masked with what is left of each, `invite
revoke` stops one (by the whole code or the tail the list shows), and /start then answers as for an
expired code. Secretariat only (bot/policy INVITE), each revocation in the audit log."""

from __future__ import annotations

from bot.runtime.core import Runtime
from bot.store import repo
from bot.store.models import Invitation
from tests.calendar_setup import company
from tests.test_people_admin import join


def last_line(result) -> str:  # type: ignore[no-untyped-def]
    return result.stdout.strip().splitlines()[-1]


def test_the_list_masks_codes_and_says_what_is_left(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("secretariat", "add", "jimu").returncode == 0
    for name in ("A社", "B社"):
        assert run_cli("company", "add", name, "--course", "csirt", "--as", "jimu").returncode == 0
    three = last_line(run_cli("invite", "A社", "--uses", "3", "--expires", "2d", "--as", "jimu"))  # the old form still works
    once = last_line(run_cli("invite", "create", "A社", "--role", "lead", "--as", "jimu"))
    assert run_cli("console", "--as", "sato", stdin=f"/start {once}\n").returncode == 0

    listed = run_cli("invite", "list", "--company", "A社", "--as", "jimu")
    assert listed.returncode == 0, listed.stderr
    rows = {row[0]: row for row in (line.split("\t") for line in listed.stdout.strip().splitlines())}
    assert three not in listed.stdout and once not in listed.stdout  # never the whole code
    assert rows["•" * 7 + three[-3:]][1:4] == ["A社", "member", "3"] and rows["•" * 7 + three[-3:]][5] == "有効"
    assert rows["•" * 7 + once[-3:]][3:] == ["0", rows["•" * 7 + once[-3:]][4], "使用済み"]
    assert all(row[1] == "A社" for row in rows.values())
    assert "B社" in run_cli("invite", "list", "--as", "jimu").stdout
    assert run_cli("invite", "list", "--company", "C社", "--as", "jimu").returncode == 2
    assert run_cli("invite", "list", "--as", "sato").returncode == 3  # a lead is not the secretariat


def test_a_revoked_code_refuses_start_like_an_expired_one(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("secretariat", "add", "jimu").returncode == 0
    assert run_cli("company", "add", "A社", "--course", "csirt", "--as", "jimu").returncode == 0
    join(run_cli, "A社", "sato")
    code = last_line(run_cli("invite", "A社", "--uses", "5", "--as", "jimu"))
    other = last_line(run_cli("invite", "A社", "--as", "jimu"))

    refused = run_cli("invite", "revoke", code, "--as", "sato")
    assert refused.returncode == 3
    unknown = run_cli("invite", "revoke", "NOSUCHCODE", "--as", "jimu")
    assert unknown.returncode == 2 and "NOSUCHCODE" in unknown.stderr and "見つかりません" in unknown.stderr
    revoked = run_cli("invite", "revoke", "…" + code[-3:], "--as", "jimu")  # as the list shows it
    assert revoked.returncode == 0 and code[-3:] in revoked.stdout and code not in revoked.stdout, revoked.stderr

    start = run_cli("console", "--as", "kato", stdin=f"/start {code}\n")
    assert "有効期限が切れています" in start.stdout
    assert run_cli("people", "list", "--company", "A社", "--as", "jimu").stdout.count("console:") == 1  # kato did not join
    joined = run_cli("console", "--as", "kato", stdin=f"/start {other}\n")  # the other code still works
    assert "有効期限" not in joined.stdout
    listed = {line.split("\t")[0]: line.split("\t") for line in run_cli("invite", "list", "--as", "jimu").stdout.splitlines()}
    assert listed["•" * 7 + code[-3:]][3:6:2] == ["5", "期限切れ・取り消し済み"]  # its unused uses stay shown

    audit = run_cli("audit", "--as", "jimu").stdout.splitlines()
    revokes = [line for line in audit if "\tinvite\t" in line and code[-3:] in line]
    assert [line.split("\t")[3] for line in revokes if "cli:" in line][-2:] == ["REFUSED", "allowed"], revokes
    assert any("\tinvite\tFAILED" in line and "NOSUCHCODE" in line for line in audit)


async def test_a_tail_shared_by_two_codes_finds_both(runtime: Runtime) -> None:
    owner = await company(runtime, "A社")
    async with runtime.sessions.begin() as session:
        for code in ("AAAAAAAXYZ", "BBBBBBBXYZ", "CCCCCCCQRS"):
            session.add(Invitation(code=code, company_id=owner.id, role="member", uses_left=1, created_at=runtime.clock()))
    async with runtime.sessions() as session:
        assert [i.code for i in await repo.find_invitations(session, "•••XYZ")] == ["AAAAAAAXYZ", "BBBBBBBXYZ"]
        assert [i.code for i in await repo.find_invitations(session, " bbbbbbbxyz ")] == ["BBBBBBBXYZ"]  # typed as /start takes it
        assert await repo.find_invitations(session, "YZ") == []  # too short to choose by
        assert await repo.find_invitations(session, "…") == []
        assert [i.code for i in await repo.find_invitations(session, "QRS")] == ["CCCCCCCQRS"]
