"""schemathesis against the API's own OpenAPI schema, in-process through the WSGI app:
no 5xx, and every response conforms to the schema (status codes, content types, bodies).

Bounded (a few examples per operation) so that it runs in seconds in CI.
"""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from perer.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# Not included: positive_data_acceptance, because a well-formed but unknown slug is rightly a
# 400 (territoire=abc) or a 404 (/territoires/abc/), which the schema documents.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _like_the_test_client(settings):
    """Requests go through the bare WSGI app, not Django's test client: do what the client
    does, keep the database connection open between requests (the test's transaction would
    otherwise be closed at the end of the first request on PostgreSQL). And lift the anonymous
    rate: hundreds of requests in seconds."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute"}}
    try:
        with override_settings(REST_FRAMEWORK=rest):
            yield
    finally:
        cache.clear()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)
