"""`promptwatch up` tells the server the address it serves at when it listens on one address: the base of links
in mail unless the operator set PROMPTWATCH_PUBLIC_URL; links answered to a request still take its address."""

from __future__ import annotations

import pytest

from promptwatch.cli.up import served_url, serving_settings, worker_environment
from promptwatch.server.services.public_address import public_base
from promptwatch.server.settings import Settings

DEFAULT = Settings.model_fields["public_url"].default


@pytest.fixture(autouse=True)
def unset(monkeypatch):
    for name in ("PROMPTWATCH_PUBLIC_URL", "PROMPTWATCH_SERVED_URL", "PROMPTWATCH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def served(settings: Settings, host: str, tls: bool = False) -> Settings:
    return serving_settings(settings, host, served_url(host, 9000, tls))


@pytest.mark.parametrize(
    ("host", "tls", "base"),
    [
        ("127.0.0.1", False, "http://127.0.0.1:9000"),
        ("localhost", True, "https://localhost:9000"),
        ("::1", False, "http://[::1]:9000"),
        ("0.0.0.0", False, DEFAULT),
        ("::", False, DEFAULT),
        ("", False, DEFAULT),
    ],
)
def test_links_in_mail_are_on_the_one_address_up_listens_on(host, tls, base):
    assert public_base(served(Settings(), host, tls)) == base


def test_the_operators_public_url_comes_first_and_an_answer_takes_its_requests_address():
    operator = served(Settings(public_url="https://pw.example.com/"), "127.0.0.1")
    assert public_base(operator) == public_base(operator, "http://127.0.0.1:9000/") == "https://pw.example.com"
    derived = served(Settings(), "127.0.0.1")
    assert public_base(derived, "https://pw.example.org/") == "https://pw.example.org"


def test_each_worker_builds_the_same_addresses_from_its_environment(monkeypatch, tmp_path):
    for name, value in worker_environment(served(Settings(data_dir=tmp_path), "127.0.0.1")).items():
        monkeypatch.setenv(name, value)
    worker = Settings()
    assert worker.data_dir == tmp_path
    assert public_base(worker) == "http://127.0.0.1:9000"
    assert public_base(worker, "https://pw.example.org/") == "https://pw.example.org"


def test_a_worker_of_up_on_every_address_has_no_served_address(tmp_path):
    assert worker_environment(served(Settings(data_dir=tmp_path), "0.0.0.0")) == {"PROMPTWATCH_DATA_DIR": str(tmp_path)}
