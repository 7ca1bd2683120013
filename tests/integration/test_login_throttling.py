"""Password log-in: failed attempts are limited per e-mail and client address, per e-mail from anywhere and
per client address (429 with `Retry-After`), and an unknown e-mail is answered in the time a known one takes."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from promptwatch.server.services.accounts import AccountService
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.settings import Settings
from promptwatch.server.store.engine import make_engine
from tests.support.payloads import uid
from tests.support.server import TEST_ENV, server_with_env

LOGIN = "/api/v1/auth/login"
WINDOW_MINUTES = 1440  # the longest (a day, ending at midnight UTC): `throttled` waits for a new one once a day at most
MARGIN_SECONDS = 60  # longer than any test here takes


@pytest.fixture(scope="module")
def throttled_server(backend, tmp_path_factory):
    """A server of its own with small limits; each test uses its own e-mails and (forwarded) client addresses."""
    env = {
        "PROMPTWATCH_LOGIN_WINDOW_MINUTES": str(WINDOW_MINUTES),
        "PROMPTWATCH_LOGIN_FAILURES_PER_EMAIL_AND_CLIENT": "3",
        "PROMPTWATCH_LOGIN_FAILURES_PER_EMAIL": "6",
        "PROMPTWATCH_LOGIN_FAILURES_PER_CLIENT": "5",
    }
    with server_with_env(backend, tmp_path_factory.mktemp(f"login-{backend}"), **env) as server:
        yield server


@pytest.fixture
def throttled(throttled_server):
    """The server, once its window has long enough left for a whole test: the counts start again from zero when
    a window ends (windows are aligned to the epoch, as the server's are), which would turn a 429 into a 401."""
    window = WINDOW_MINUTES * 60
    left = window - time.time() % window
    if left < MARGIN_SECONDS:
        time.sleep(left + 1)
    return throttled_server


def attempt(server, email: str, password: str, client: str):
    """A log-in from `client`: the server trusts X-Forwarded-For from 127.0.0.1, as behind a local proxy."""
    with server.client() as anonymous:
        return anonymous.post(LOGIN, json={"email": email, "password": password}, headers={"X-Forwarded-For": client})


def unknown() -> str:
    return f"nobody-{uid()}@example.test"


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Too many requests"
    assert 1 <= int(response.headers["Retry-After"]) <= WINDOW_MINUTES * 60


def test_failed_logins_per_email_and_address_are_limited(throttled):
    user = throttled.new_tenant("pair")
    codes = [attempt(throttled, user.owner_email, "nope", "198.51.100.1").status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    assert_throttled(attempt(throttled, user.owner_email, "nope", "198.51.100.1"))
    # over the limit the password is not checked: the right one is refused too, or it would be found out
    assert_throttled(attempt(throttled, user.owner_email, user.owner_password, "198.51.100.1"))
    assert_throttled(attempt(throttled, f"  {user.owner_email.upper()} ", user.owner_password, "198.51.100.1"))
    # the person logs in from elsewhere, and the address may still try other e-mails
    assert attempt(throttled, user.owner_email, user.owner_password, "198.51.100.2").status_code == 200
    assert attempt(throttled, unknown(), "nope", "198.51.100.1").status_code == 401


def test_attempts_sent_together_are_limited_as_one_after_another(throttled):
    """Each attempt is counted before its password is checked: twelve at once get three answers."""
    email = unknown()
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda _: attempt(throttled, email, "nope", "198.51.100.40").status_code, range(12)))
    assert sorted(codes) == [401] * 3 + [429] * 9, codes


def test_an_unknown_email_is_limited_like_a_known_one(throttled):
    email = unknown()
    codes = [attempt(throttled, email, "nope", "198.51.100.11").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_failed_logins_per_email_from_every_address_are_limited(throttled):
    user = throttled.new_tenant("spread")
    for n in range(3):
        codes = [attempt(throttled, user.owner_email, "nope", f"198.51.100.2{n}").status_code for _ in range(2)]
        assert codes == [401, 401]
    assert_throttled(attempt(throttled, user.owner_email, "nope", "198.51.100.29"))
    assert_throttled(attempt(throttled, user.owner_email, user.owner_password, "198.51.100.29"))


def test_failed_logins_per_address_are_limited_and_ipv6_counts_by_its_64(throttled):
    codes = [attempt(throttled, unknown(), "nope", f"2001:db8:1:1::{n}").status_code for n in range(1, 6)]
    assert codes == [401] * 5
    assert_throttled(attempt(throttled, unknown(), "nope", "2001:db8:1:1::99"))
    user = throttled.new_tenant("neighbour")
    assert_throttled(attempt(throttled, user.owner_email, user.owner_password, "2001:db8:1:1::99"))
    assert attempt(throttled, unknown(), "nope", "2001:db8:1:2::1").status_code == 401
    assert attempt(throttled, user.owner_email, user.owner_password, "2001:db8:1:2::1").status_code == 200


def test_successful_logins_are_not_counted(throttled):
    user = throttled.new_tenant("often")
    codes = [attempt(throttled, user.owner_email, user.owner_password, "198.51.100.40").status_code for _ in range(8)]
    assert codes == [200] * 8


def test_an_unknown_email_is_answered_in_the_time_a_known_one_takes(backend, tmp_path):
    """The server hashes with a cost that makes a password check take tens of milliseconds (the tests'
    usual cost takes a fraction of one), and the known user's password is hashed with that cost too."""
    cost = {"PROMPTWATCH_PASSWORD_TIME_COST": "2", "PROMPTWATCH_PASSWORD_MEMORY_COST": "32768"}
    with server_with_env(backend, tmp_path, **cost) as server:
        settings = Settings(
            data_dir=server.data_dir,
            database_url=server.database_url,
            **{k.removeprefix("PROMPTWATCH_").lower(): v for k, v in {**TEST_ENV, **cost}.items()},
        )
        engine = make_engine(server.database_url)
        known = f"known-{uid()}@example.test"
        AccountService(Runtime.build(settings, engine)).create_account("timed", known, "the-right-password")
        engine.dispose()

        with server.client() as anonymous:

            def seconds(email: str, n: int) -> float:
                started = time.perf_counter()
                body = {"email": email, "password": "a-wrong-password"}
                response = anonymous.post(LOGIN, json=body, headers={"X-Forwarded-For": f"198.51.100.{n}"})
                assert response.status_code == 401, response.text
                return time.perf_counter() - started

            seconds(known, 1), seconds(unknown(), 1)  # warm up both paths
            known_times, unknown_times = [], []
            for n in range(2, 11):  # interleaved, so that a busy moment of the machine hits both
                known_times.append(seconds(known, n))
                unknown_times.append(seconds(unknown(), n))
    slow, fast = statistics.median(known_times), statistics.median(unknown_times)
    assert max(slow, fast) / min(slow, fast) < 3, (known_times, unknown_times)
