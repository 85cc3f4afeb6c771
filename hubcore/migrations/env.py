"""Alembic environment: migrations run on the engine hubcore.db hands over."""

from alembic import context

import hubcore.models  # noqa: F401 - registers every table on the metadata
import hubcore.rollups  # noqa: F401 - and the summary tables
from hubcore.models import metadata

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from hubcore.db import default_url, get_engine

        engine = get_engine(config.get_main_option("sqlalchemy.url") or default_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
