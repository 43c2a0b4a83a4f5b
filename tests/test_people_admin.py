"""People admin on the CLI: list a company's people, remove one who left, make a member the lead,
rename a company, change its course. Secretariat only (bot/policy), each change in the audit log."""

from __future__ import annotations


def join(run_cli, company: str, who: str, role: str = "lead") -> None:  # type: ignore[no-untyped-def]
    code = run_cli("invite", company, "--role", role, "--as", "jimu").stdout.strip().splitlines()[-1]
    assert run_cli("console", "--as", who, stdin=f"/start {code}\n").returncode == 0


def test_the_secretariat_manages_a_companys_people(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("secretariat", "add", "jimu").returncode == 0
    for name in ("A社", "B社"):
        assert run_cli("company", "add", name, "--course", "csirt", "--as", "jimu").returncode == 0
    join(run_cli, "A社", "sato")
    join(run_cli, "A社", "suzuki", "member")
    join(run_cli, "B社", "kato")

    listed = run_cli("people", "list", "--company", "A社", "--as", "jimu")
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[1::2] for line in listed.stdout.strip().splitlines()] == [
        ["console:sato", "lead"], ["console:suzuki", "member"],
    ]
    assert "console:kato" in run_cli("people", "list", "--as", "jimu").stdout

    refused = run_cli("people", "remove", "console:suzuki", "--as", "sato")  # a lead is not the secretariat
    assert refused.returncode == 3
    role = run_cli("people", "role", "suzuki", "lead", "--as", "jimu")
    assert role.returncode == 0 and "lead" in role.stdout, role.stderr
    removed = run_cli("people", "remove", "console:sato", "--as", "jimu")
    assert removed.returncode == 0, removed.stderr
    assert [line.split("\t")[1] for line in run_cli("people", "list", "--company", "A社", "--as", "jimu").stdout.splitlines()] == [
        "console:suzuki",
    ]
    again = run_cli("people", "remove", "console:sato", "--as", "jimu")
    assert again.returncode == 2 and "登録されていません" in again.stderr
    assert run_cli("people", "role", "suzuki", "secretariat", "--as", "jimu").returncode == 2

    renamed = run_cli("company", "rename", "A社", "Ａ商事", "--as", "jimu")
    assert renamed.returncode == 0, renamed.stderr
    taken = run_cli("company", "rename", "Ａ商事", "ｂ社", "--as", "jimu")  # B社 under NFKC, case folded
    assert taken.returncode == 2 and "B社" in taken.stderr, taken.stderr
    blank = run_cli("company", "rename", "Ａ商事", "  ", "--as", "jimu")
    assert blank.returncode == 2 and "企業名が空" in blank.stderr
    course = run_cli("company", "course", "A商事", "it-bcp", "--as", "jimu")
    assert course.returncode == 0 and "csirt" in course.stdout and "it-bcp" in course.stdout, course.stderr
    assert run_cli("company", "course", "A商事", "bike", "--as", "jimu").returncode == 2
    assert "Ａ商事\tit-bcp" in run_cli("company", "list", "--as", "jimu").stdout

    audit = run_cli("audit", "--as", "jimu").stdout.splitlines()
    assert sum(1 for line in audit if "\tchange_role\t" in line and "cli:sato" in line and "REFUSED" in line) == 1
    assert sum(1 for line in audit if "\tchange_role\tallowed" in line and "console:" in line) >= 2
    assert any("\tmanage_companies\tallowed" in line and "A社" in line for line in audit), audit
