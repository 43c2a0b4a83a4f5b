"""The audit log tells what happened: an operation that was allowed but then failed (an export that
could not be written, a broadcast that reached nobody, a purge whose confirmation did not match)
is recorded as failed with its reason, never as allowed; one that happened reads done."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from bot.runtime.core import Runtime
from bot.store.models import AuditEntry, Person
from tests.calendar_setup import company, person
from tests.conftest import Convo


async def entries(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def outcome(entry: AuditEntry) -> tuple[bool, str | None, str | None]:
    detail = entry.detail or {}
    return entry.allowed, detail.get("outcome"), detail.get("error")


async def test_cli_failures_are_recorded_as_failed_with_the_reason(runtime: Runtime, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    await company(runtime, "A社", "csirt", lead="a1")
    await person(runtime, "jimu", role="secretariat")
    report = tmp_path / "report.md"
    assert run_cli("export", "hearing", "--company", "A社", "--output", str(report), "--as", "jimu").returncode == 0
    taken = run_cli("export", "hearing", "--company", "A社", "--output", str(report), "--as", "jimu")
    assert taken.returncode == 2
    done, failed = await entries(runtime, "export_hearing")
    assert outcome(done) == (True, "done", None)
    allowed, state, error = outcome(failed)
    assert (allowed, state) == (False, "failed") and error is not None and "already exists" in error

    nobody = run_cli("notice", "send", "--to", "company:存在しない社", "--text", "hello", "--as", "jimu")
    assert nobody.returncode == 2
    [broadcast] = await entries(runtime, "broadcast")
    assert outcome(broadcast)[:2] == (False, "failed") and "存在しない社" in (outcome(broadcast)[2] or "")

    mismatch = run_cli("company", "purge", "A社", "--confirm", "A", "--as", "jimu")
    assert mismatch.returncode == 2 and "nothing was deleted" in mismatch.stderr
    purged = run_cli("company", "purge", "A社", "--confirm", "A社", "--as", "jimu")
    assert purged.returncode == 0, purged.stderr
    refused, deleted = await entries(runtime, "purge_company")
    assert outcome(refused)[:2] == (False, "failed") and "does not match" in (outcome(refused)[2] or "")
    assert outcome(deleted) == (True, "done", None) and (deleted.detail or {})["deleted"]["people"] == 1

    audit = run_cli("audit", "--as", "jimu")
    lines = [line for line in audit.stdout.splitlines() if "\tbroadcast\t" in line or "\texport_hearing\t" in line]
    assert [line.split("\t")[3] for line in lines] == ["allowed", "FAILED", "FAILED"], lines


async def test_a_broadcast_pressed_in_chat_that_sends_nothing_is_not_allowed(runtime: Runtime) -> None:
    await company(runtime, "B社", "it-bcp", lead="b1")
    await person(runtime, "jimu", role="secretariat")
    jimu = Convo(runtime, "jimu")
    await jimu.send("/notice company:B社 お知らせです")
    [preview] = jimu.replies
    async with runtime.sessions.begin() as session:  # B社's only person leaves before the press
        await session.execute(update(Person).where(Person.platform_user_id == "b1").values(company_id=None))
    await jimu.send("", choice="send", reply_to=preview.question_ref)
    assert jimu.replies[0].kind == "error"
    shown, pressed = await entries(runtime, "broadcast")
    assert outcome(shown)[:2] == (True, "done")  # the preview was shown (a draft, nothing sent)
    assert outcome(pressed)[:2] == (False, "failed")

    await company(runtime, "B社", "it-bcp", lead="b1")  # back in B社
    await jimu.send("", choice="send", reply_to=preview.question_ref)
    await jimu.send("", choice="send", reply_to=preview.question_ref)  # a second press sends nothing
    pressed = (await entries(runtime, "broadcast"))[1:]
    assert [outcome(e)[:2] for e in pressed] == [(False, "failed"), (True, "done"), (False, "failed")]
    assert (pressed[2].detail or {}).get("error") == "already sent"

    await jimu.send("/notice company:存在しない社 hello")  # no such company: no draft, and recorded so
    assert jimu.replies[0].kind == "error"
    last = (await entries(runtime, "broadcast"))[-1]
    assert outcome(last)[:2] == (False, "failed") and "存在しない社" in (outcome(last)[2] or "")
