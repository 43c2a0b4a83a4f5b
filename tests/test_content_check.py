"""`helpdesk content check` on deliberately broken content.

Each test copies the real content/ into a temporary directory, breaks one thing, and checks that the
problem is reported with its file, a key path naming the item by id, and a text that says what is
wrong. The secretariat edits these files without a programmer: the report is all they get.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content.loader import ContentIssue, check_content
from bot.content.yamlio import load_yaml

REAL_CONTENT = PROJECT_ROOT / "content"
COMMON = "content/hearing/parts/common.yaml"
FLOWS = "content/hearing/flows.yaml"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, target)
    return target


def edit(directory: Path, relative: str, change: Callable[[Any], None]) -> None:
    """Load a content file, change the data, write it back (comments are lost; the data is not)."""
    path = directory / relative
    data = load_yaml(path)
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def item(part: dict[str, Any], item_id: str) -> dict[str, Any]:
    for section in part["sections"]:
        for entry in section["items"]:
            if entry["id"] == item_id:
                return entry
    raise AssertionError(f"no item {item_id!r} in the real content any more; update this test")


def edit_item(directory: Path, item_id: str, change: Callable[[dict[str, Any]], None], part: str = "common") -> None:
    edit(directory, f"hearing/parts/{part}.yaml", lambda data: change(item(data, item_id)))


def replace_text(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} is not in {path} any more; update this test"
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def only(issues: list[ContentIssue], file: str) -> list[ContentIssue]:
    """The issues of one file, after checking no other file was blamed."""
    assert issues, "no problem reported"
    assert {i.file for i in issues} == {file}, "\n".join(map(str, issues))
    return issues


def test_the_real_content_is_valid() -> None:
    assert check_content(REAL_CONTENT) == []


def test_an_unchanged_copy_is_valid(content_dir: Path) -> None:
    # The round trip through yaml.safe_dump used by `edit` changes nothing the checker sees.
    edit(content_dir, "hearing/parts/common.yaml", lambda data: None)
    edit(content_dir, "messages/core.yaml", lambda data: None)
    assert check_content(content_dir) == []


def test_question_without_text(content_dir: Path) -> None:
    edit_item(content_dir, "employees", lambda q: q.pop("text"))
    [issue] = only(check_content(content_dir), COMMON)
    assert issue.path == "sections[it_env].items[employees].text"
    assert "missing" in issue.problem.lower() or "required" in issue.problem.lower()


def test_duplicate_question_id_in_a_flow(content_dir: Path) -> None:
    edit_item(content_dir, "sites", lambda q: q.update(id="employees"))
    issues = only(check_content(content_dir), COMMON)
    # the common part is in both flows: one line each, naming the flow
    assert {(i.path, i.problem) for i in issues} == {
        ("sections[it_env].items[employees].id", "duplicate id 'employees' in flow hearing_csirt"),
        ("sections[it_env].items[employees].id", "duplicate id 'employees' in flow hearing_it_bcp"),
    }


def test_duplicate_question_id_across_parts(content_dir: Path) -> None:
    # it_bcp.yaml reuses an id of the common part: only the IT-BCP flow has both.
    edit(content_dir, "hearing/parts/it_bcp.yaml", lambda data: data["sections"][0]["items"][0].update(id="employees"))
    [issue] = only(check_content(content_dir), "content/hearing/parts/it_bcp.yaml")
    assert issue.path.endswith(".items[employees].id")
    assert issue.problem == "duplicate id 'employees' in flow hearing_it_bcp"


def test_when_naming_an_unknown_question(content_dir: Path) -> None:
    edit_item(content_dir, "server_count", lambda q: q.update(when={"question": "servers_on_site", "equals": True}))
    issues = only(check_content(content_dir), COMMON)
    assert {i.path for i in issues} == {"sections[it_env].items[server_count].when.question"}
    assert "'servers_on_site' is not an earlier question of flow hearing_csirt" in {i.problem for i in issues}


def test_when_naming_a_later_question(content_dir: Path) -> None:
    # it_staff exists, but is asked after server_count.
    edit_item(content_dir, "server_count", lambda q: q.update(when={"question": "it_staff", "equals": "none"}))
    issues = only(check_content(content_dir), COMMON)
    assert {i.path for i in issues} == {"sections[it_env].items[server_count].when.question"}
    assert {i.problem for i in issues} == {
        "'it_staff' is not an earlier question of flow hearing_csirt",
        "'it_staff' is not an earlier question of flow hearing_it_bcp",
    }


def test_when_value_that_is_not_an_option(content_dir: Path) -> None:
    edit_item(content_dir, "past_incident_type", lambda q: q.update(when={"question": "past_incident", "in": ["damaged", "attacked"]}))
    issues = only(check_content(content_dir), COMMON)
    assert {i.path for i in issues} == {"sections[it_env].items[past_incident_type].when"}
    problem = issues[0].problem
    assert "'attacked' is not an answer of 'past_incident'" in problem
    assert "damaged, attempted, none, unknown" in problem  # the answers it could be


def test_when_on_a_yes_no_question_with_a_word(content_dir: Path) -> None:
    # yes_no answers are true/false; "yes" (a string) would never match.
    edit_item(content_dir, "server_count", lambda q: q.update(when={"question": "servers_onprem", "equals": "yes"}))
    issues = only(check_content(content_dir), COMMON)
    assert {i.path for i in issues} == {"sections[it_env].items[server_count].when"}
    assert "'yes' is not an answer of 'servers_onprem'" in issues[0].problem


def test_choice_question_without_options(content_dir: Path) -> None:
    edit_item(content_dir, "mobile_devices", lambda q: q.pop("options"))
    [issue] = only(check_content(content_dir), COMMON)
    assert issue.path == "sections[it_env].items[mobile_devices]"
    assert issue.problem == "a choice question needs options"


def test_unknown_key_is_a_typo_not_silently_ignored(content_dir: Path) -> None:
    edit_item(content_dir, "sites", lambda q: q.update(optinal=True))
    [issue] = only(check_content(content_dir), COMMON)
    assert issue.path == "sections[it_env].items[sites].optinal"
    assert "unknown key" in issue.problem and "optinal" in issue.problem


def test_yaml_syntax_error_reports_the_line(content_dir: Path) -> None:
    path = content_dir / "hearing" / "parts" / "common.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip() == "- id: sites")
    lines[line - 1] = lines[line - 1] + ": oops"  # "- id: sites: oops"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [issue] = only(check_content(content_dir), COMMON)
    assert "YAML syntax" in issue.problem
    assert f"(line {line})" in issue.problem


def test_duplicate_yaml_key_reports_the_line(content_dir: Path) -> None:
    path = content_dir / "hearing" / "parts" / "common.yaml"
    text = replace_text(path, "        min: 1\n        max: 10000\n", "        min: 1\n        min: 2\n        max: 10000\n")
    line = text.splitlines().index("        min: 2") + 1
    [issue] = only(check_content(content_dir), COMMON)
    assert issue.problem == f"duplicate key 'min' (line {line})"


def test_message_placeholders_differ_between_languages(content_dir: Path) -> None:
    edit(content_dir, "messages/core.yaml", lambda data: data["messages"]["reprompt.choice"].update(en="Please answer with a number."))
    [issue] = only(check_content(content_dir), "content/messages/core.yaml")
    assert issue.path == "messages.reprompt.choice"
    assert issue.problem == "ja uses ['n'] but en uses []"


def test_message_key_defined_in_two_files(content_dir: Path) -> None:
    edit(content_dir, "messages/report.yaml", lambda data: data["messages"].update({"value.yes": {"ja": "はい", "en": "Yes"}}))
    [issue] = only(check_content(content_dir), "content/messages/report.yaml")
    assert issue.path == "messages.value.yes"
    assert issue.problem == "also defined in content/messages/core.yaml"


def test_missing_lexicon(content_dir: Path) -> None:
    (content_dir / "lexicon.yaml").unlink()
    [issue] = only(check_content(content_dir), "content/lexicon.yaml")
    assert issue.problem == "file is missing"


def test_unknown_part_in_flows(content_dir: Path) -> None:
    edit(content_dir, "hearing/flows.yaml", lambda data: data["flows"][0].update(parts=["common", "csirtt"]))
    [issue] = only(check_content(content_dir), FLOWS)
    assert issue.path == "flows[hearing_csirt].parts"
    assert issue.problem == "unknown part 'csirtt'"


def test_an_invalid_part_is_not_also_reported_as_unknown(content_dir: Path) -> None:
    # common.yaml exists; saying "unknown part 'common'" in flows.yaml would send people to the
    # wrong file.
    edit_item(content_dir, "employees", lambda q: q.update(type="numbr"))
    issues = check_content(content_dir)
    assert [i.file for i in issues] == [COMMON], "\n".join(map(str, issues))
    assert issues[0].path.startswith("sections[it_env].items[employees].type")


def test_several_problems_are_all_reported_in_one_pass(content_dir: Path) -> None:
    edit_item(content_dir, "employees", lambda q: q.pop("text"))
    edit_item(content_dir, "mobile_devices", lambda q: q.update(optinal=True))
    edit(content_dir, "messages/core.yaml", lambda data: data["messages"]["reprompt.choice"].update(en="Pick one."))
    edit(content_dir, "hearing/flows.yaml", lambda data: data["flows"][1].update(parts=["common", "incident_info", "it_bpc"]))
    edit(content_dir, "hearing/parts/incident_info.yaml", lambda data: data["sections"][0]["items"][0].update(when={"question": "nowhere", "answered": True}))
    issues = check_content(content_dir)
    where = {(i.file, i.path) for i in issues}
    assert (COMMON, "sections[it_env].items[employees].text") in where
    assert (COMMON, "sections[it_env].items[mobile_devices].optinal") in where
    assert ("content/messages/core.yaml", "messages.reprompt.choice") in where
    assert (FLOWS, "flows[hearing_it_bcp].parts") in where
    assert len(issues) >= 4, "\n".join(map(str, issues))


# --------------------------------------------------------------------------------------------------
# the command line


def helpdesk(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, encoding="utf-8",
        cwd=cwd, env={**os.environ, **(env or {})}, timeout=120, stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_cli_reports_one_line_per_problem_and_exits_1(content_dir: Path, tmp_path: Path) -> None:
    edit_item(content_dir, "employees", lambda q: q.pop("text"))
    edit(content_dir, "messages/core.yaml", lambda data: data["messages"]["reprompt.choice"].update(en="Pick one."))
    (content_dir / "lexicon.yaml").unlink()
    expected = check_content(content_dir)
    assert len(expected) == 3

    result = helpdesk("content", "check", "--dir", str(content_dir), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [str(i) for i in expected]
    assert any(line.startswith(f"{COMMON}: sections[it_env].items[employees].text: ") for line in lines)
    assert any(line.startswith("content/messages/core.yaml: messages.reprompt.choice: ") for line in lines)
    assert "content/lexicon.yaml: file is missing" in lines
    assert "3 problem(s)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_cli_on_the_real_content(tmp_path: Path) -> None:
    result = helpdesk("content", "check", "--dir", str(REAL_CONTENT), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("content OK")


@pytest.mark.slow
def test_bot_refuses_to_start_on_invalid_content(content_dir: Path, tmp_path: Path) -> None:
    edit_item(content_dir, "mobile_devices", lambda q: q.pop("options"))
    database = tmp_path / "x.db"
    result = helpdesk(
        "console", "--as", "x", cwd=tmp_path,
        env={"HELPDESK_CONTENT_DIR": str(content_dir), "HELPDESK_DATABASE_URL": f"sqlite:///{database}"},
    )
    assert result.returncode != 0
    assert "content is invalid" in result.stderr
    assert f"{COMMON}: sections[it_env].items[mobile_devices]: a choice question needs options" in result.stderr
    assert "Traceback" not in result.stderr
    assert not database.exists()  # content is checked before the database is touched


def test_japanese_folded_with_gt_is_refused_with_its_line(content_dir: Path) -> None:
    # Folding joins lines with a space: 「…影響と、 どのくらいで…」 (a review finding).
    replace_text(
        content_dir / "hearing/parts/common.yaml",
        "ja: 社内（事務所の中）にサーバを置いていますか？",
        "ja: >-\n            社内（事務所の中）に\n            サーバを置いていますか？",
    )
    [issue] = only(check_content(content_dir), COMMON)
    assert "folded" in issue.problem and "line" in issue.problem


def test_no_japanese_text_carries_a_folding_space() -> None:
    # The section intros were folded: a space between two Japanese characters at a line break.
    book = [
        text for path in sorted(REAL_CONTENT.rglob("hearing/**/*.yaml"))
        for text in _ja_texts(load_yaml(path))
    ]
    assert book, "no Japanese text found: the test would prove nothing"
    folded = [t for t in book if re.search(r"[、。ぁ-んァ-ン一-龥] [ぁ-んァ-ン一-龥]", t)]
    assert folded == []


def test_every_content_file_reads_with_plain_pyyaml() -> None:
    # libyaml's loader forgives an unquoted "?" inside a flow mapping; the pure-Python one does not.
    for path in sorted(REAL_CONTENT.rglob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)  # noqa: S506


def _ja_texts(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [v for k, v in data.items() if k == "ja" and isinstance(v, str)] + [
            t for v in data.values() for t in _ja_texts(v)
        ]
    if isinstance(data, list):
        return [t for v in data for t in _ja_texts(v)]
    return []


def test_the_desk_hours_are_written_once() -> None:
    # Review finding: the hours were written in four places; now programme.yaml's desk.hours_text only.
    hours = re.compile(r"\b9:00\s*[〜~\-]\s*17:00")
    written = [
        str(path.relative_to(REAL_CONTENT)) for path in sorted(REAL_CONTENT.rglob("*.yaml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if hours.search(line) and not line.lstrip().startswith("#") and "source:" not in line
    ]
    assert written == ["programme.yaml"]


def test_hours_text_that_disagrees_with_opens_and_closes_is_refused(content_dir: Path) -> None:
    replace_text(content_dir / "programme.yaml", 'closes: "17:00"', 'closes: "18:00"')
    [issue] = only(check_content(content_dir), "content/programme.yaml")
    assert "18:00" in issue.problem and issue.path.startswith("desk")


def test_a_message_naming_the_desk_hours_needs_them_in_programme(content_dir: Path) -> None:
    replace_text(content_dir / "programme.yaml", '  hours_text: {ja: "平日 9:00〜17:00", en: "weekdays 9:00-17:00 JST"}', "")
    issues = check_content(content_dir)
    assert any("desk_hours" in i.problem and i.file.startswith("content/messages/") for i in issues), issues


FINDINGS = "content/hearing/findings.yaml"


def finding(data: dict[str, Any], finding_id: str) -> dict[str, Any]:
    for entry in data["findings"]:
        if entry["id"] == finding_id:
            return entry
    raise AssertionError(f"no finding {finding_id!r} in the real content any more; update this test")


def test_a_finding_naming_an_unknown_question(content_dir: Path) -> None:
    edit(content_dir, "hearing/findings.yaml",
         lambda data: finding(data, "no_mfa").update(when={"question": "two_factor", "equals": "none"}))
    [issue] = only(check_content(content_dir), FINDINGS)
    assert issue.path == "findings[no_mfa].when.question"
    assert issue.problem == "'two_factor' is not a question of a hearing flow"


def test_a_finding_on_a_question_inside_a_group_is_refused(content_dir: Path) -> None:
    # a group's answers are per entry (process 1, 2…): a rule cannot say which one it means
    edit(content_dir, "hearing/findings.yaml",
         lambda data: finding(data, "no_mfa").update(when={"question": "process_impact", "equals": "high"}))
    [issue] = only(check_content(content_dir), FINDINGS)
    assert issue.path == "findings[no_mfa].when.question"


def test_a_finding_testing_a_value_the_question_does_not_have(content_dir: Path) -> None:
    edit(content_dir, "hearing/findings.yaml",
         lambda data: finding(data, "vpn_patching_unknown")["when"][1].update(equals="dont_know"))
    [issue] = only(check_content(content_dir), FINDINGS)
    assert issue.path == "findings[vpn_patching_unknown].when"
    assert "'dont_know' is not an answer of 'vpn_updates'" in issue.problem


def test_a_finding_needs_a_source_and_a_profile_question_must_exist(content_dir: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        finding(data, "no_backup").pop("source")
        data["profile"].append("headcount")

    edit(content_dir, "hearing/findings.yaml", change)
    [issue] = only(check_content(content_dir), FINDINGS)
    assert issue.path == "findings[no_backup].source" and "missing" in issue.problem
    edit(content_dir, "hearing/findings.yaml", lambda data: finding(data, "no_backup").update(source="seed:000 ヒアリング"))
    [issue] = only(check_content(content_dir), FINDINGS)
    assert (issue.path, issue.problem) == ("profile[7]", "'headcount' is not a question of a hearing flow")


def test_a_sheet_name_over_excels_limit_is_refused(content_dir: Path) -> None:
    long = "Impact, RTO and RPO per key business process"  # 44 characters: Excel refuses it
    edit_item(content_dir, "business_processes", lambda g: g["label"].update(en=long))
    [issue] = only(check_content(content_dir), COMMON)
    assert issue.path == "sections[business_impact].items[business_processes].label.en"
    assert "at most 31 characters" in issue.problem
    edit(content_dir, "messages/report.yaml", lambda data: data["messages"]["report.sheet_sources"].update(ja="出典/参考"))
    issues = check_content(content_dir)
    assert any(i.path == "messages.report.sheet_sources.ja" and "none of" in i.problem for i in issues), issues
