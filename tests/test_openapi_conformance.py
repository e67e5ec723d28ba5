"""Schemathesis, with every check, over the whole API: the OpenAPI document tells the truth.

For each caller (anonymous, a shopper, a store's owner, a platform operator) every operation
gets requests generated from its schema, valid and invalid, and each answer must be: not a
5xx, a documented status with the documented body, a valid request accepted, an invalid one
refused, authentication enforced where declared. The ids in paths name real objects of a
store with one of everything (and random ids are tried too, by the anonymous caller).

The number of generated requests per operation and mode is WESHOP_SCHEMATHESIS_EXAMPLES
(default 3, which keeps this a quick part of the suite; raise it for a deeper run).

The requests reach a second instance of the app, in-process, on the event loop Schemathesis
runs ASGI apps on; it shares the test database, where the data is made beforehand.
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from tests.tenancy.test_store_scope import populated_tenant
from weshop.app import create_app

EXAMPLES = int(os.environ.get("WESHOP_SCHEMATHESIS_EXAMPLES", "3"))
PHASES = os.environ.get("WESHOP_SCHEMATHESIS_PHASES", "examples,coverage,fuzzing").split(",")

# Operations whose effect would end the run for the caller who makes them, with why.
SELF_DEFEATING = {
    # Signs the caller out: every later request of the run would answer 401.
    ("DELETE", "/api/v1/auth/sessions/current"),
}

schema = schemathesis.pytest.from_fixture("conformance_schema")


def integers_as_integers(value: Any) -> Any:
    """JSON Schema counts ``1228.0`` as an integer; WeShop refuses it by design (integers are
    strict, and ``tests/test_input_fields.py`` proves every body field refuses ``100.0``), so
    this pass writes whole numbers as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: integers_as_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integers_as_integers(item) for item in value]
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    """A cursor is valid only as the server issued it: one drawn from its documented pattern
    is not a valid request, so none is sent (tests/core/test_pagination.py covers cursors).
    Whole numbers go as integers (``integers_as_integers``)."""
    if case.query:
        case.query.pop("cursor", None)
    if isinstance(case.body, dict | list):
        case.body = integers_as_integers(case.body)


@pytest.fixture(scope="session")
def conformance_app(settings):
    return create_app(settings, check_schema=False)


@pytest.fixture(params=["anonymous", "shopper", "staff", "operator"])
async def caller(request, api) -> tuple[dict[str, str], dict[str, int]]:
    """The caller's headers and the path ids its requests use (none: generated)."""
    if request.param == "anonymous":
        return {}, {}
    tenant = await populated_tenant(api)
    headers = {
        "shopper": tenant.shopper,
        "staff": tenant.owner,
        "operator": await api.operator() if request.param == "operator" else {},
    }[request.param]
    return headers, tenant.ids


@pytest.fixture
def conformance_schema(request, conformance_app, caller):
    # Schemathesis 4.32's lazy schemas read `_nodeid`, which pytest 9.2 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    headers, ids = caller
    config = SchemathesisConfig.from_dict(
        {
            "headers": headers,
            "parameters": {f"path.{name}": value for name, value in ids.items()},
            "generation": {"max-examples": EXAMPLES, "mode": "all", "database": "none"},
            "checks": {"enabled": True},
            # Stateful runs need links between operations, which the document does not have.
            "phases": {
                phase: {"enabled": phase in PHASES}
                for phase in ("examples", "coverage", "fuzzing", "stateful")
            },
        }
    )
    loaded = schemathesis.openapi.from_asgi("/openapi.json", conformance_app, config=config)
    return loaded.exclude(
        func=lambda ctx: (
            (ctx.operation.method.upper(), ctx.operation.path) in SELF_DEFEATING and bool(headers)
        )
    )


# Phones have a pattern and a length limit: many drawn strings miss one of them.
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.filter_too_much])
@schema.parametrize()
def test_the_api_answers_as_its_openapi_document_says(case):
    case.call_and_validate()
