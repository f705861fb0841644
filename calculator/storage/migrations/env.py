"""Alembic's environment: migrations run on the connection ``calculator.storage.migrate()``
hands over (under its lock), or on the URL in the Alembic config."""

from __future__ import annotations

from alembic import context

from calculator.storage.engine import make_engine
from calculator.storage.schema import metadata

config = context.config


def run_on(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as own:
            run_on(own)
    finally:
        engine.dispose()
