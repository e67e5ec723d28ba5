"""The OpenAPI document's error answers: derived for every route, in the app's one error shape.

The conformance run (tests/test_openapi_conformance.py) proves the document against the app's
answers; these are the quick checks of the mechanism and of the fixes it led to.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import expect
from weshop.accounts.schemas import PHONE_PATTERN
from weshop.core.crypto import normalize_phone

ERROR_REF = "#/components/schemas/Error"


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


async def test_every_error_answer_is_documented_in_the_apps_error_shape(client):
    spec = expect(await client.get("/openapi.json"), 200)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    wrong_shape = [
        f"{name} {status}"
        for name, operation in operations(spec)
        for status, response in operation["responses"].items()
        if status[0] in "45"
        and response["content"]["application/json"]["schema"] != {"$ref": ERROR_REF}
    ]
    assert wrong_shape == []


async def test_statuses_follow_from_what_each_route_depends_on(client):
    spec = expect(await client.get("/openapi.json"), 200)
    documented = {name: set(operation["responses"]) for name, operation in operations(spec)}
    for name, statuses in documented.items():
        method, path = name.split(" ", 1)
        if path.startswith(("/api/v1/me", "/api/v1/merchant", "/api/v1/platform")):
            assert "401" in statuses, name
        if path.startswith("/api/v1/merchant/stores/{store_id}"):
            assert {"403", "404"} <= statuses, name
        if path.startswith("/api/v1/platform"):
            assert "403" in statuses, name
        if "{" in path:
            assert {"404", "422"} <= statuses, name
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            assert "409" in statuses, name
    assert {"400", "413", "422", "429"} <= documented["POST /api/v1/auth/codes"]
    assert "429" in documented["POST /api/v1/auth/sessions"]
    locked = spec["paths"]["/api/v1/auth/sessions"]["post"]["responses"]["429"]["description"]
    assert "`password_locked`" in locked
    # An id in the query or the body may name nothing.
    assert "404" in documented["GET /api/v1/shop/coupons"]
    assert "404" in documented["POST /api/v1/me/orders"]
    # A route's own description of a status is kept, and the codes are added to it.
    conflict = spec["paths"]["/api/v1/me/orders"]["post"]["responses"]["409"]["description"]
    assert conflict.startswith("Out of stock")
    assert "`idempotency_key_reused`" in conflict


async def test_method_not_allowed_lists_every_method_of_the_path(client):
    answer = await client.request("PUT", "/api/v1/me/addresses")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert answer.json()["error"]["code"] == "method_not_allowed"


async def test_signing_out_with_an_unknown_token_is_401(client):
    answer = await client.delete(
        "/api/v1/auth/sessions/current", headers={"Authorization": "Bearer not-a-session"}
    )
    assert answer.status_code == 401


async def test_cursors_and_days_are_refused_in_any_other_form(api, client):
    store_id, owner = await api.new_store()
    finance = f"/api/v1/merchant/stores/{store_id}/finance"
    for path in ("/statement", "/statement/days", "/statement.csv"):
        for day in ("0", "1700000000", "2026-1-5"):
            answer = await client.get(finance + path, params={"day_to": day}, headers=owner)
            assert answer.status_code == 422, (path, day, answer.text)
        answer = await client.get(finance + path, params={"day_to": "2026-01-05"}, headers=owner)
        assert answer.status_code == 200, (path, answer.text)
    answer = await client.get("/api/v1/shop/products", params={"cursor": "a+b/c="})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_cursor"


@settings(max_examples=40, deadline=None)
@given(st.from_regex(PHONE_PATTERN, fullmatch=True))
def test_every_phone_the_document_allows_is_accepted(phone):
    assert re.fullmatch(r"1[3-9]\d{9}", normalize_phone(phone))


@given(st.text(alphabet="+0123456789 -\t", max_size=20))
def test_a_phone_the_document_refuses_is_refused(phone):
    try:
        normalize_phone(phone)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == bool(re.search(PHONE_PATTERN, phone))


async def test_integers_are_bounded_by_integers_in_the_document(client):
    """A float bound reads a row id's maximum 2**63 - 1 as 2**63 and offers ``9999.0`` as a
    quantity, both of which the API refuses: every integer's bounds are exact integers."""
    spec = expect(await client.get("/openapi.json"), 200)
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "integer":
                found.extend(
                    (bound, node[bound]) for bound in ("minimum", "maximum") if bound in node
                )
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(spec)
    assert found and all(type(value) is int for _, value in found), found[:5]
    assert ("maximum", 2**63 - 1) in found and ("maximum", 9999) in found
