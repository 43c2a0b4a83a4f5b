"""The draft templates (content/drafts/*.yaml): every row traces to its source, and the loader
refuses a field filled from a question that does not exist."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.content.loader import check_content, load_content

REAL_CONTENT = PROJECT_ROOT / "content"


def _seed(name: str) -> str:
    # The seeds sit in shared/ beside the repository (../shared/seeds), or beside a worktree's parent.
    for folder in PROJECT_ROOT.parents:
        found = sorted((folder / "shared" / "seeds").glob(f"{name}_*.txt"))
        if found:
            return found[0].read_text(encoding="utf-8")
    pytest.skip(f"seed {name} is not beside this checkout")


def _flat(text: str) -> str:
    # The seed is a PDF turned into text: spaces fall where lines broke.
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def drafts():  # type: ignore[no-untyped-def]
    return load_content(REAL_CONTENT).drafts


def test_the_four_documents_are_there(drafts) -> None:  # type: ignore[no-untyped-def]
    assert set(drafts) == {"csirt-checklist", "csirt-description", "response-flow", "it-bcp"}
    for template in drafts.values():
        assert template.source
        for _section, field in template.fields():
            assert field.source, f"{template.name}: {field.id} has no source"
            assert (field.builtin is not None) or field.ask is not None


def test_every_checklist_row_is_a_row_of_seed_000(drafts) -> None:  # type: ignore[no-untyped-def]
    seed = _seed("000")
    table = seed[seed.index("CSIRT 構築チェックリスト（例）"):seed.index("【参考】日本シーサート協議会")]
    rows = [line.split("\t") for line in table.splitlines() if "\t" in line]
    # (大項目, 中項目, 内容) as the seed has them, the header row left out.
    seed_rows = [(r[0].strip(), r[1].strip(), r[2].strip()) for r in rows[1:]]
    ours = []
    for section in drafts["csirt-checklist"].sections:
        for index, field in enumerate(section.fields):
            assert field.about is not None
            ours.append((
                section.heading.ja if index == 0 else "",
                field.heading.ja if field.heading else "",
                field.about.ja,
            ))
    assert ours == seed_rows  # every row, in the seed's order, none added or left out
    columns = drafts["csirt-checklist"].columns
    assert [c.ja for c in columns] == [c.strip() for c in rows[0]]


def test_every_description_heading_is_in_seed_000(drafts) -> None:  # type: ignore[no-untyped-def]
    seed = _flat(_seed("000"))
    basic = seed[seed.index("CSIRT基本文書"):seed.index("【参考資料】JPCERT")]
    template = drafts["csirt-description"]
    for section in template.sections:
        if section.id == "document":  # RFC 2350's section 1; the seed's table starts at 連絡先
            assert section.rfc2350 == "1"
            continue
        assert _flat(section.heading.ja) in basic, section.heading.ja
        for field in section.fields:
            assert field.heading is not None and _flat(field.heading.ja) in basic, field.id
    contact = next(s for s in template.sections if s.id == "contact")
    assert len(contact.fields) == 12  # the seed's (1)-(12)
    numbered = [f.rfc2350 for s in template.sections for f in s.fields]
    assert all(numbered), "every field of the description carries its RFC 2350 number"


def test_it_bcp_sections_follow_the_guide(drafts) -> None:  # type: ignore[no-untyped-def]
    for section in drafts["it-bcp"].sections:
        assert section.source and "guidebook/349" in section.source, section.id


def test_a_field_from_an_unknown_question_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, target)
    path = target / "drafts" / "csirt_checklist.yaml"
    text = path.read_text(encoding="utf-8")
    assert "from: [incident_decision_maker]" in text
    path.write_text(text.replace("from: [incident_decision_maker]", "from: [incident_decider]", 1), encoding="utf-8")
    issues = check_content(target)
    assert [str(i) for i in issues] == [
        "content/drafts/csirt_checklist.yaml: sections[services].fields[management].from: "
        "'incident_decider' is not a hearing question of the csirt course"
    ]


def test_a_question_of_another_course_is_refused(tmp_path: Path) -> None:
    # Both courses ask the common part and seed 000's second hearing slide; only the IT-BCP course
    # asks its own part, so a CSIRT document may not read an IT-BCP question.
    target = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, target)
    path = target / "drafts" / "csirt_checklist.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("from: [it_staff]", "from: [recovery_decision_maker]", 1), encoding="utf-8")
    problems = [str(i) for i in check_content(target)]
    assert len(problems) == 1 and problems[0].startswith("content/drafts/csirt_checklist.yaml: sections[")
    assert problems[0].endswith("'recovery_decision_maker' is not a hearing question of the csirt course")


def test_an_unknown_destination_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, target)
    path = target / "drafts" / "response_flow.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("contacts: [own_csirt]", "contacts: [own_csirt, police_999]", 1), encoding="utf-8")
    problems = [str(i) for i in check_content(target)]
    assert problems == ["content/drafts/response_flow.yaml: sections[detect].fields[detect_destinations].contacts: unknown contact 'police_999'"]
