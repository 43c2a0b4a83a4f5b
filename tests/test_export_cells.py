"""No export is ever a spreadsheet formula: people's text (company names, display names, answers,
places) that begins like a formula is written as text, in the hearing XLSX and in every CSV.
The files are opened and read cell by cell, as a spreadsheet program would."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.runtime.core import Runtime
from bot.reports import hearing
from bot.reports.cells import csv_text, looks_like_formula
from bot.reports.workbook import to_xlsx
from bot.store import repo
from scheduler.events import EventSpec, add_event
from scheduler.visits import VisitSpec, add_visit
from tests.calendar_setup import company, jst, person
from tests.conftest import Convo, add_company

# What OWASP lists as formula starts (= + - @ tab CR), as people would type them.
DANGEROUS = ["=HYPERLINK(\"http://127.0.0.1/x\",\"社\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "＝1+1"]
COMPANY = "=1+2株式会社"
NAME = "@SUM(A1:A9)"


@pytest.mark.parametrize("text", DANGEROUS)
def test_every_formula_start_is_made_text(text: str) -> None:
    assert looks_like_formula(text)
    assert csv_text(text) == "'" + text


@pytest.mark.parametrize("text", ["株式会社", "-", "+", "-3", "12.5", "", "a=b", "'=1"])
def test_plain_text_and_numbers_are_left_as_they_are(text: str) -> None:
    assert not looks_like_formula(text)
    assert csv_text(text) == text


def _formula_cells(path: Path) -> list[str]:
    """Every <f> element in the workbook's sheets: what a spreadsheet program would run."""
    with zipfile.ZipFile(path) as archive:
        sheets = {name: archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")}
    assert sheets
    return [name for name, xml in sheets.items() if b"<f>" in xml or b"<f " in xml]


async def test_hearing_xlsx_holds_no_formula(convo: Convo, tmp_path: Path) -> None:
    code = await add_company(convo.runtime, COMPANY, "csirt")
    someone = convo.as_user(NAME)
    await someone.send(f"/start {code}")
    await someone.send("/hearing")
    await someone.send("50")
    async with convo.runtime.sessions() as session:
        found = await repo.company_by_name(session, COMPANY)
        assert found is not None
        report = await hearing.company_report(session, convo.runtime.content, found, "ja")
    assert report is not None
    # answers are people's text too: put every dangerous start into the report's answer cells
    rows = [row for _, section in report.sections for row in section]
    for row, text in zip(rows, DANGEROUS):
        row.answer, row.value = text, None  # a text answer, where a number answer would be a number cell
    path = tmp_path / "r.xlsx"
    path.write_bytes(to_xlsx(report))

    assert _formula_cells(path) == []
    book = load_workbook(path)
    values = {}
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    values[cell.value] = cell
    # the text is kept exactly, and marked so that editing it keeps it text
    for text in [COMPANY, NAME, *DANGEROUS]:
        assert text.replace("\r", "\n") in values or text in values, text
    assert values[COMPANY].quotePrefix and values[COMPANY].data_type == "s"


def _read_csv(stdout: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(stdout)))


async def test_overview_csv_makes_a_company_name_text(runtime: Runtime, run_cli) -> None:  # type: ignore[no-untyped-def]
    await company(runtime, COMPANY, "csirt", lead=NAME)
    result = run_cli("overview", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = _read_csv(result.stdout)
    assert rows[0][0] == "company"
    assert ["'" + COMPANY, "csirt", "1"] == rows[1][:3]
    assert all(not looks_like_formula(cell) for row in rows for cell in row)


async def test_attendees_and_visit_list_csv_make_names_and_places_text(runtime: Runtime, run_cli) -> None:  # type: ignore[no-untyped-def]
    await company(runtime, COMPANY, "csirt", lead=NAME)
    await person(runtime, "jimu", role="secretariat")
    async with runtime.sessions.begin() as session:
        event, _ = await add_event(
            session, runtime.content, runtime.tz,
            EventSpec(kind="seminar", at=jst("2026-12-10 15:00"), place="-1+1 会場", capacity=5), now=runtime.clock(),
        )
        await add_visit(
            session, runtime.content, runtime.tz, VisitSpec(COMPANY, 1, jst("2026-12-03 14:00"), "onsite", "+81 東京都"),
            now=runtime.clock(), notify=False,
        )
    rsvp = Convo(runtime, NAME)
    await rsvp.send("", choice="yes", reply_to=f"event:{event.id}")

    attendees = run_cli("event", "attendees", str(event.id), "--format", "csv", "--as", "jimu")
    assert attendees.returncode == 0, attendees.stderr
    rows = _read_csv(attendees.stdout)
    assert rows[1][:3] == ["yes", "'" + NAME, "'" + COMPANY]

    visits = run_cli("visit", "list", "--all", "--format", "csv", "--as", "jimu")
    assert visits.returncode == 0, visits.stderr
    rows = _read_csv(visits.stdout)
    header = rows[0]
    visit = dict(zip(header, rows[1]))
    assert visit["company"] == "'" + COMPANY and visit["place"] == "'+81 東京都"
    for output in (attendees.stdout, visits.stdout):
        assert all(not looks_like_formula(cell) for row in _read_csv(output) for cell in row)
