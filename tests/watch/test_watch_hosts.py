"""The watch from several hosts against one database: each capture is recorded once."""

from __future__ import annotations

import threading

from calculator.archive import ArchiveRepository
from calculator.rules import load_ruleset
from calculator.storage import Store
from calculator.watch.observations import Observations
from calculator.watch.run import watch

PGA = "OpenTermsArchive/pga-versions"


def test_two_hosts_watching_at_once_record_the_new_capture_once(
        archive, rules_copy, checked_through, database_url):
    clone, commit = archive
    checked_through(rules_copy, "2026-08-22")
    ruleset = load_ruleset(rules_copy)
    Store.open(database_url).dispose()  # migrated once, as `calculator migrate` does
    reports, errors = [], []

    def host() -> None:
        store = Store.open(database_url, migrate=False)
        try:
            with ArchiveRepository.open(PGA, clone) as repo:
                reports.append(watch(ruleset, {PGA: repo}, store.engine))
        except Exception as exc:  # reported below, with the test's failure
            errors.append(exc)
        finally:
            store.dispose()

    hosts = [threading.Thread(target=host) for _ in range(3)]
    for thread in hosts:
        thread.start()
    for thread in hosts:
        thread.join()
    assert errors == []
    store = Store.open(database_url, migrate=False)
    try:
        found = Observations(store.engine).list(page_size=1000)
    finally:
        store.dispose()
    # Each capture recorded by exactly one host: no duplicates, nothing recorded twice.
    keys = [(o["document"], o["commit"]) for o in found.items]
    assert sum(len(r.recorded) for r in reports) == found.total == len(set(keys))
    assert ("x.terms-of-service", commit) in keys
