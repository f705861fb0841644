"""Migrations on SQLite and PostgreSQL: from empty to the newest schema, once, under a lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import calculator
from calculator.storage import head_revision, make_engine, migrate
from calculator.storage.schema import metadata
from calculator.storage.upgrade import alembic_config, current_revision


def test_migrations_upgrade_an_empty_database_to_the_newest_schema(database_url):
    engine = make_engine(database_url)
    try:
        assert not inspect(engine).get_table_names()
        assert migrate(database_url) == head_revision()
        assert {"records", "api_keys", "alembic_version"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
    finally:
        engine.dispose()


def test_the_migrated_schema_is_the_schema_the_code_uses(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_migrating_again_changes_nothing_and_down_and_up_again_works(database_url):
    migrate(database_url)
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
            assert not {"records", "api_keys"} & set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        assert {"records", "api_keys"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_several_processes_starting_at_once_migrate_once_without_failing(database_url):
    code = ("import sys; from calculator.storage import migrate; "
            "print(migrate(sys.argv[1]))")
    processes = [subprocess.Popen([sys.executable, "-c", code, database_url],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err for _, err in outputs]
    assert {out.strip() for out, _ in outputs} == {head_revision()}


def test_the_migrations_ship_inside_the_package():
    scripts = ScriptDirectory.from_config(alembic_config())
    package = Path(calculator.__file__).parent
    assert Path(scripts.dir).resolve().is_relative_to(package.resolve())
    assert [s.revision for s in scripts.walk_revisions()][-1] == "0001"
