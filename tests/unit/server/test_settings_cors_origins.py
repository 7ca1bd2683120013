"""PROMPTWATCH_CORS_ORIGINS: exact http(s) origins, kept as browsers send them in `Origin`; anything else,
`*` included, is a line naming the variable."""

from __future__ import annotations

import pytest

from promptwatch.server.settings import SettingsError, cors_origins, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMPTWATCH_DATA_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("given", "origins"),
    [
        ("", ()),
        (" , ", ()),
        ("https://app.example.com", ("https://app.example.com",)),
        ("HTTPS://App.Example.com:443, http://localhost:5173", ("https://app.example.com", "http://localhost:5173")),
        ("http://127.0.0.1:80,http://[::1]:3000", ("http://127.0.0.1", "http://[::1]:3000")),
        ("https://a.example.com,https://A.example.com", ("https://a.example.com",)),
    ],
)
def test_origins_are_written_as_browsers_send_them(monkeypatch, given, origins):
    assert cors_origins(given) == origins
    monkeypatch.setenv("PROMPTWATCH_CORS_ORIGINS", given)
    assert cors_origins(load_settings().cors_origins) == origins


@pytest.mark.parametrize(
    "given",
    [
        "https://app.example.com/",
        "https://app.example.com/ui",
        "https://app.example.com?x=1",
        "https://app.example.com#top",
        "app.example.com",
        "ftp://app.example.com",
        "chrome-extension://abcdef",
        "https://user@app.example.com",
        "https://app.example.com:99999",
        "https://app.example.com:port",
        "https://",
        "null",
        "https://bücher.example",  # browsers send the ASCII form, https://xn--bcher-kva.example
    ],
)
def test_what_is_no_origin_is_refused_with_a_line_naming_the_variable(monkeypatch, given):
    monkeypatch.setenv("PROMPTWATCH_CORS_ORIGINS", f"https://ok.example.com, {given}")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.problems == [
        f"PROMPTWATCH_CORS_ORIGINS: {given!r} is not an origin: scheme://host[:port], no path, such as "
        "https://app.example.com"
    ]


@pytest.mark.parametrize("given", ["*", "https://app.example.com, *"])
def test_any_origin_is_refused(monkeypatch, given):
    monkeypatch.setenv("PROMPTWATCH_CORS_ORIGINS", given)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.problems == [
        "PROMPTWATCH_CORS_ORIGINS: '*' is not allowed: list the origins of the browser apps that call the API"
    ]
