"""Spreadsheet cells that are never formulas: the one helper every CSV and XLSX export goes through.

People choose company names, display names, answers and event texts; a spreadsheet program that
opens an export must show them, not run them. A text that begins with = + - @, a tab or a carriage
return is read as a formula by Excel and LibreOffice (OWASP, "CSV Injection"), so:

- in CSV it gets the leading single quote OWASP recommends (the program shows the text as text);
- in XLSX it stays exactly the text, stored as a string cell with the quote-prefix style, so the
  file holds no formula and editing the cell does not turn it into one either.

The first character is also checked after NFKC, so full-width ＝ ＋ － ＠ count too: an IME turns them
into their ASCII forms when a Japanese user edits the cell.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet read this text as a formula? A lone sign ("-" for "none") or a plain
    number ("-3") is not one, so those are left as they are."""
    if len(text) < 2 or _NUMBER.fullmatch(text):
        return False
    return unicodedata.normalize("NFKC", text[0])[:1] in FORMULA_STARTS


def csv_text(value: Any) -> str:
    """One CSV field: the value as text, with OWASP's leading quote when it would be a formula."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


def write_csv(stream: IO[str], rows: Iterable[Iterable[Any]]) -> None:
    """Every CSV export: fields quoted by the csv module, formulas made text."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerows([csv_text(value) for value in row] for row in rows)


def text_only_workbook(book: Any) -> None:
    """Make every cell of an openpyxl workbook that holds text a string cell, never a formula.

    openpyxl reads a str value beginning with "=" as a formula (data_type "f"); the exports write
    no formula of their own, so any such cell came from people's text and is turned back into a
    string. quotePrefix is the style flag Excel sets for a text typed with a leading quote."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and (cell.data_type == "f" or looks_like_formula(cell.value)):
                    cell.data_type = "s"
                    cell.quotePrefix = True
