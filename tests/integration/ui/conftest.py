"""The UI tests reuse the API harness: one app per test, driven over HTTP."""

from tests.integration.api.conftest import api  # noqa: F401
