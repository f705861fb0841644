"""The store the storage tests work on: opened on each database of ``database_url``."""

from __future__ import annotations

import pytest

from calculator.storage import Store


@pytest.fixture
def store(database_url):
    store = Store.open(database_url)
    yield store
    store.dispose()
