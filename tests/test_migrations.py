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
