"""A newcomer's session with real processes: register, answer, get killed mid-hearing, resume in a new
process at the same question with earlier answers intact, finish, export the report."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.content.loader import Content
from bot.engine.flow import MORE
from bot.engine.render import Speaker
from bot.engine.step import FlowInput, FlowState, step
from tests.answering import shown_number, valid_answer

pytestmark = pytest.mark.slow


def scripted_answers(content: Content, course: str) -> list[tuple[str, str]]:
    """(question key, typed answer) for a whole hearing, worked out with the pure engine so the
    script fits whatever the content asks; groups get two entries."""
    flow = content.hearing_flow(course)
    assert flow is not None
    sp = Speaker("ja", content.book, content.words, date.today())
    result = step(flow, FlowState(), FlowInput("start"), sp)
    script = []
    while result.state.cursor is not None:
        current = next(s for s in flow.plan(result.state.answers) if s.key == result.state.cursor)
        if current.question.id == MORE:
            typed = "はい" if current.entry == 1 else "いいえ"
        else:
            typed = valid_answer(current.question, "ja")
        script.append((current.key, typed))
        result = step(flow, result.state, FlowInput("message", text=typed), sp)
    return script


class Console:
    """`helpdesk console` in a child process, read line by line."""

    def __init__(self, database_url: str, cwd: Path) -> None:
        env = {**os.environ, "HELPDESK_DATABASE_URL": database_url}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "console", "--as", "tanaka"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", env=env, cwd=cwd,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def wait_for(self, marker: str, timeout: float = 30) -> list[str]:
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {marker!r} within {timeout}s; got:\n" + "\n".join(seen)) from None
            seen.append(line)
            if marker in line:
                return seen

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def test_killed_mid_hearing_resumes_in_a_new_process(
    database_url: str, tmp_path: Path, content: Content, run_cli
) -> None:  # type: ignore[no-untyped-def]
    added = run_cli("company", "add", "株式会社サンプル", "--course", "csirt")
    assert added.returncode == 0, added.stderr
    code = added.stdout.strip().splitlines()[-1]
    script = scripted_answers(content, "csirt")
    half = len(script) // 2

    first = Console(database_url, tmp_path)
    first.send(f"/start {code}")
    first.wait_for("登録しました")
    first.send("/hearing")
    first.wait_for("質問 1/")
    keys = [key for key, _ in script]
    for index, (_, typed) in enumerate(script[:half]):
        first.send(typed)
        # the next question is shown: the answer was acknowledged
        first.wait_for(f"質問 {shown_number(keys, index + 1)}/")
    first.kill()  # SIGKILL: no clean-up of any kind

    resume_key = script[half][0]
    # /hearing shows the company's progress first; its first button is "continue".
    rest = "\n".join(["/hearing", "/press 1"] + [typed for _, typed in script[half:]]) + "\n"
    second = run_cli("console", "--as", "tanaka", stdin=rest)
    assert second.returncode == 0, second.stderr
    resumed = second.stdout.split("再開します", 1)[1]
    assert f"質問 {shown_number(keys, half)}/" in resumed.splitlines()[1], resumed[:400]
    assert "回答がそろいました" in second.stdout
    reprompts = [t.ja.split("{")[0] for k, t in content.book.messages.messages.items() if k.startswith("reprompt.")]
    reprompts = [r for r in reprompts if len(r) >= 6]
    assert not [r for r in reprompts if r in second.stdout]  # every scripted answer was understood

    markdown = tmp_path / "report.md"
    exported = run_cli("export", "hearing", "--company", "株式会社サンプル", "--format", "md", "--output", str(markdown))
    assert exported.returncode == 0, exported.stderr
    report = markdown.read_text(encoding="utf-8")
    assert "# ヒアリングシート結果報告書" in report and "全問回答（未提出）" in report
    answered = [k for k, _ in script if not k.endswith(MORE)]
    assert f"- **回答済み**: {len(answered)}" in report and "- **未回答**: 0" in report
    assert "| 業務 | 依存するシステム |" in report  # the per-process impact/RTO/RPO table
    assert "4時間" in report
    assert resume_key  # the resume point is a real question of the script

    workbook_path = tmp_path / "report.xlsx"
    exported = run_cli("export", "hearing", "--company", "株式会社サンプル", "--format", "xlsx", "--output", str(workbook_path))
    assert exported.returncode == 0, exported.stderr
    workbook = load_workbook(workbook_path)
    assert workbook.sheetnames[:2] == ["概要", "確認事項"] and workbook.sheetnames[-2:] == ["回答", "出典"]
    answers = workbook["回答"]
    assert answers.max_row == len(answered) + 1
    assert answers["C1"].value == "質問"
    assert answers.column_dimensions["C"].width > 30  # readable widths for Japanese text
