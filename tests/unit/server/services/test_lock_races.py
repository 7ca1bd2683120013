"""A transaction that loses a lock race (a deletion's) runs again, as an ingest job is written again; out of tries
it is a 503 with Retry-After (`Overloaded`), and any other database error passes through."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from promptwatch.server.errors import Overloaded
from promptwatch.server.services import lock_races
from promptwatch.server.services.lock_races import RETRIES, again_after_lock_races
from promptwatch.server.store.tombstones import DeletedMeanwhile


class DeadlockDetected(Exception):
    sqlstate = "40P01"  # as psycopg's error of that name holds it


class UniqueViolation(Exception):
    sqlstate = "23505"


class Transaction:
    """Fails with `error` the first `failures` times it runs."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.runs = failures, error, 0

    def __call__(self) -> str:
        self.runs += 1
        if self.runs <= self.failures:
            raise self.error
        return "committed"


@pytest.fixture(autouse=True)
def no_waits(monkeypatch):
    monkeypatch.setattr(lock_races, "WAIT_FIRST_SECONDS", 0.0)


def deadlock() -> OperationalError:
    return OperationalError("DELETE FROM sessions", {}, DeadlockDetected("deadlock detected"))


def test_a_lost_lock_race_runs_the_transaction_again():
    transaction = Transaction(RETRIES, deadlock())
    assert again_after_lock_races(transaction, "a deletion") == "committed"
    assert transaction.runs == RETRIES + 1


def test_out_of_tries_is_overloaded_with_retry_after():
    transaction = Transaction(RETRIES + 1, deadlock())
    with pytest.raises(Overloaded) as refused:
        again_after_lock_races(transaction, "a deletion")
    assert refused.value.status == 503 and refused.value.retry_after == 1
    assert transaction.runs == RETRIES + 1


def test_any_other_database_error_is_not_run_again():
    transaction = Transaction(1, IntegrityError("INSERT INTO tombstones", {}, UniqueViolation("duplicate key")))
    with pytest.raises(IntegrityError):
        again_after_lock_races(transaction, "a deletion")
    assert transaction.runs == 1


def test_a_write_that_a_deletion_overtook_runs_again():
    """Run again, the transaction reads the tombstones the deletion left, and writes nothing of what it took."""
    transaction = Transaction(1, DeletedMeanwhile("a session written was deleted meanwhile"))
    assert again_after_lock_races(transaction, "a write") == "committed"
    assert transaction.runs == 2
