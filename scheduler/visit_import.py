"""`helpdesk visit import FILE.csv`: many visits at once, all or nothing.

Every line is checked before anything is written (company, visit number, time in the future, mode,
place, duplicates in the file, clashes with visits already scheduled); any problem stops the import
and each is reported with its line number. A line that repeats a visit exactly as it is scheduled
is left alone, so the same file can be imported twice.

The header names the columns (content/programme.yaml visits.csv_columns lists the accepted names,
Japanese ones included); files saved by Excel as UTF-8 (with BOM) or Shift_JIS are read.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.i18n import MessageBook
from bot.engine.parse import clean_text, word_key
from bot.store.models import Visit
from scheduler.errors import ProgrammeError
from scheduler.localtime import parse_local, require_future
from scheduler.companies import company_named
from scheduler.visits import VisitSpec, add_visit, check_number, check_place, mode_of, plan_of, visit_of

REQUIRED = ("company", "no", "at", "mode")
OPTIONAL = ("place", "expert")


@dataclass(frozen=True)
class Problem:
    line: int  # 1 is the header
    error: ProgrammeError

    def render(self, book: MessageBook, lang: str) -> str:
        return book.say("programme.csv_line", lang, line=self.line, problem=self.error.render(book, lang))


class ImportFailed(Exception):
    def __init__(self, problems: list[Problem], encoding: str | None = None) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
        self.encoding = encoding  # what the file was read as, when it could be read


@dataclass(frozen=True)
class Imported:
    added: list[Visit]
    unchanged: int
    encoding: str  # what the file was read as: "utf-8" (with or without BOM) or "shift_jis"


# Tried in this order: UTF-8 is strict (a Shift_JIS file fails it), Shift_JIS (cp932, as Excel
# writes it) decodes almost any bytes, so it comes last. The second name is the one people know.
ENCODINGS = (("utf-8-sig", "utf-8"), ("cp932", "shift_jis"))


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of the encoding it was read as."""
    # NULs mean UTF-16 ("Unicode text" in Excel), not CSV we read.
    for encoding, name in ENCODINGS if b"\x00" not in data else ():
        try:
            return data.decode(encoding), name
        except UnicodeDecodeError:
            continue
    raise ImportFailed([Problem(1, ProgrammeError("programme.csv_encoding"))])


def read_rows(text: str, content: Content) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for every non-empty row; the header maps names to columns."""
    aliases = plan_of(content).csv_columns
    names = {word_key(alias): column for column in (*REQUIRED, *OPTIONAL) for alias in getattr(aliases, column)}
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise ImportFailed([Problem(1, ProgrammeError("programme.csv_empty"))])
    columns = [names.get(word_key(cell)) for cell in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportFailed([Problem(1, ProgrammeError("programme.csv_columns", columns=", ".join(missing)))])
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        values = {column: clean_text(cell) for column, cell in zip(columns, cells) if column is not None}
        rows.append((reader.line_num, values))
    if not rows:
        raise ImportFailed([Problem(1, ProgrammeError("programme.csv_empty"))])
    return rows


async def import_visits(
    session: AsyncSession, content: Content, tz: ZoneInfo, data: bytes, *, now: datetime, notify: bool = True,
) -> Imported:
    plan = plan_of(content)
    text, encoding = decode(data)
    try:
        rows = read_rows(text, content)
    except ImportFailed as exc:
        raise ImportFailed(exc.problems, encoding) from None
    today = now.astimezone(tz).date()
    problems: list[Problem] = []
    specs: list[VisitSpec] = []
    seen: dict[tuple[str, int], int] = {}
    unchanged = 0
    for line, row in rows:
        try:
            for column in REQUIRED:
                if not row.get(column):
                    raise ProgrammeError("programme.csv_required", column=column)
            if not row["no"].isdecimal():
                raise ProgrammeError("programme.csv_number", value=row["no"][:10])
            company = await company_named(session, row["company"])
            number = check_number(plan, int(row["no"]))
            at = require_future(parse_local(row["at"], tz, words=content.words, today=today), now, tz)
            mode = mode_of(plan, row["mode"])
            place = check_place(mode, row.get("place"))
            expert = row.get("expert") or None
            key = (company.name, number)
            if key in seen:
                raise ProgrammeError("programme.csv_duplicate", company=company.name, n=number, other=seen[key])
            seen[key] = line
            existing = await visit_of(session, company, number)
            if existing is not None and existing.status == "scheduled":
                same = (existing.starts_at, existing.mode, existing.place, existing.expert_name) == (at, mode, place, expert)
                if not same:
                    raise ProgrammeError("programme.visit_exists", company=company.name, n=number,
                                         when=existing.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
                unchanged += 1
                continue
            specs.append(VisitSpec(company.name, number, at, mode, place, expert))
        except ProgrammeError as exc:
            problems.append(Problem(line, exc))
    if problems:
        raise ImportFailed(problems, encoding)
    added = [await add_visit(session, content, tz, spec, now=now, notify=notify) for spec in specs]
    return Imported(added, unchanged, encoding)
