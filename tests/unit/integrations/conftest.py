"""Every test here runs with the SDK isolated from the host's settings and its guard made strict."""

import pytest

from tests.support.capture_sink import sdk, sink, strict_guard  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _strict(strict_guard: None) -> None:
    return None
