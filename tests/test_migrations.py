"""The migrations build exactly the schema the models describe (no drift), on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.config import async_url
from bot.store.db import make_engine
from bot.store.models import Base


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(async_url(database_url))

    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await engine.dispose()
    assert differences == []


def test_the_fast_head_lookup_agrees_with_alembic() -> None:
    """Start-up reads the head revision from the files without Alembic; it must be Alembic's head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.store.db import MIGRATIONS, head_revision

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


async def test_0006_unlinks_a_visit_expert_of_another_company_and_keeps_the_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from bot.store.db import upgrade

    engine = make_engine(async_url(f"sqlite:///{tmp_path / 'old.db'}"))
    await upgrade(engine, "0005")
    now = "2026-11-24 01:00:00.000000"
    async with engine.begin() as connection:
        for statement in (
            "INSERT INTO companies (id, name, course, created_at) VALUES (1, 'A社', 'csirt', :now), (2, 'B社', 'it-bcp', :now)",
            "INSERT INTO people (id, platform, platform_user_id, display_name, role, language, created_at)"
            " VALUES (7, 'console', 'sato', '佐藤', 'expert', 'ja', :now)",
            "INSERT INTO expert_assignments (person_id, company_id, created_at) VALUES (7, 1, :now)",
            "INSERT INTO visits (id, company_id, number, starts_at, duration_minutes, mode, expert_name, expert_id,"
            " status, revision, scheduled_at, created_at, updated_at) VALUES"
            " (1, 1, 1, :now, 120, 'onsite', '佐藤', 7, 'scheduled', 1, :now, :now, :now),"
            " (2, 2, 1, :now, 120, 'onsite', '佐藤', 7, 'scheduled', 1, :now, :now, :now)",
        ):
            await connection.execute(text(statement), {"now": now})
    await upgrade(engine)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, expert_name, expert_id FROM visits ORDER BY id"))).all()
    await engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "佐藤", 7), (2, "佐藤", None)]


async def test_0011_gives_each_company_the_sheet_its_report_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Before 0011 each person had a sheet: the company keeps its latest completed one (not a later
    one somebody began), with who answered; a company with only a sheet in progress keeps that."""
    from sqlalchemy import text

    from bot.store.db import upgrade

    engine = make_engine(async_url(f"sqlite:///{tmp_path / 'old.db'}"))
    await upgrade(engine, "0009")
    early, late = "2026-11-24 01:00:00.000000", "2026-11-25 01:00:00.000000"
    async with engine.begin() as connection:
        for statement in (
            "INSERT INTO companies (id, name, course, created_at) VALUES (1, 'A社', 'csirt', :early), (2, 'B社', 'csirt', :early)",
            "INSERT INTO people (id, platform, platform_user_id, role, company_id, language, created_at) VALUES"
            " (1, 'console', 'tanaka', 'lead', 1, 'ja', :early), (2, 'console', 'suzuki', 'member', 1, 'ja', :early),"
            " (3, 'console', 'kato', 'lead', 2, 'ja', :early)",
            "INSERT INTO flow_snapshots (version, flow_id, body, created_at) VALUES ('v1', 'hearing_csirt', '{}', :early)",
            "INSERT INTO conversations (id, person_id, flow_id, content_version, status, started_at, updated_at, version)"
            " VALUES (1, 1, 'hearing_csirt', 'v1', 'completed', :early, :early, 1),"
            " (2, 2, 'hearing_csirt', 'v1', 'paused', :late, :late, 1),"
            " (3, 3, 'hearing_csirt', 'v1', 'active', :late, :late, 1)",
            "INSERT INTO answers (conversation_id, question_key, raw_text, value, skipped, answered_at) VALUES"
            " (1, 'employees', '50', '50', 0, :early), (1, 'sites', '2', '2', 0, :early),"
            " (2, 'employees', '9', '9', 0, :late), (3, 'employees', '30', '30', 0, :late)",
        ):
            await connection.execute(text(statement), {"early": early, "late": late})
    await upgrade(engine)
    async with engine.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT s.company_id, a.question_key, a.raw_text, a.person_id FROM sheet_answers a"
            " JOIN hearing_sheets s ON s.id = a.sheet_id ORDER BY s.company_id, a.id"
        ))).all()
    await engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "employees", "50", 1), (1, "sites", "2", 1), (2, "employees", "30", 3)]
