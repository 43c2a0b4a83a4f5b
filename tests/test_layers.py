"""The layers the design names, read from the code: the engine is the pure core (the standard
library, itself and bot.content.models), and the turn below the handlers does not reach up into the
handlers or the runtime that routes to them."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"


def imports_of(package: str) -> dict[str, set[str]]:
    """Module file -> the modules it imports (absolute names; relative imports resolved)."""
    out: dict[str, set[str]] = {}
    for path in sorted((BOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "bot")
        out[str(path.relative_to(BOT.parent))] = names
    return out


def test_the_engine_imports_only_the_standard_library_itself_and_content_models() -> None:
    allowed_bot = ("bot.engine", "bot.content.models")
    wrong = {
        module: sorted(
            name for name in names
            if name.split(".")[0] not in sys.stdlib_module_names
            and not any(name == a or name.startswith(a + ".") for a in allowed_bot)
        )
        for module, names in imports_of("engine").items()
    }
    assert {m: n for m, n in wrong.items() if n} == {}


def test_the_turn_does_not_import_the_handlers_or_the_runtime() -> None:
    above = ("bot.handlers", "bot.runtime", "bot.platforms", "bot.cli")
    wrong = {
        module: sorted(n for n in names if any(n == a or n.startswith(a + ".") for a in above))
        for module, names in imports_of("turn").items()
    }
    assert {m: n for m, n in wrong.items() if n} == {}


def test_the_router_holds_the_one_table_of_runners() -> None:
    """Every kind of conversation is run by what the router's table says, not by a module that
    registered itself on import: nothing else in bot/ keeps a registry of runners."""
    from bot.handlers.incident import INCIDENT_FLOW, run_incident
    from bot.handlers.triage import TRIAGE_FLOW, run_triage
    from bot.hearing.conversation import run_hearing
    from bot.runtime.router import RUNNERS
    from bot.turn.conversations import SHEET_RUNNER

    assert RUNNERS == {INCIDENT_FLOW: run_incident, TRIAGE_FLOW: run_triage, SHEET_RUNNER: run_hearing}
    registries = [
        str(path.relative_to(BOT.parent)) for path in BOT.rglob("*.py")
        if "register_runner" in path.read_text(encoding="utf-8")
    ]
    assert registries == []
