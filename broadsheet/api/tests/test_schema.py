"""Schemathesis against /api/v1/openapi.json, in-process over WSGI: no 5xx, answers match the schema.

Bounded and deterministic: a few examples per operation, derandomised, the database filled by the
newsroom fixture once per operation (examples share it), with a token so personal endpoints run too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from broadsheet.api.errors import is_error_shape
from broadsheet.api.services import api_token_create
from broadsheet.api.tests.conftest import Newsroom

# Building the schema needs no database: the OpenAPI view is public and unthrottled.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """keep_connection does what Django's test client does: requests leave the test's connection open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(newsroom: Newsroom, limits: dict[str, object]) -> str:
    limits["BROADSHEET_API_RATE_ANON"] = 100_000
    limits["BROADSHEET_API_RATE_TOKEN"] = 100_000
    _, raw = api_token_create(user=newsroom.reader, name="fuzz")
    return raw


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Any, bearer: str, keep_connection: None) -> None:
    if case.operation.path == "/api/v1/tokens/{token_id}" and case.method.upper() == "DELETE":
        # Revoking the fuzzing token itself would turn every later example into a 401.
        case.path_parameters = {**(case.path_parameters or {}), "token_id": 2**62}
    response = case.call(headers={"Authorization": f"Bearer {bearer}"})
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    if response.status_code >= 400:
        assert is_error_shape(response.content), response.content[:300]
