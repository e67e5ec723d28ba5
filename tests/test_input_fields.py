"""What a client may send, swept over every request body of the API and every date a route
reads from its query string: strict integers, dates and times in range with their time zone,
and URLs that cannot become script.

The bodies, and every field nested in them, are found by introspection: each route's body
model (a model of a ``weshop.<domain>.schemas`` module) and its JSON schema. A field added
tomorrow is covered without editing this file; a route whose valid body this file cannot
build fails until ``VALID_BODIES`` (in the tenancy sweep) has one.
"""

from __future__ import annotations

import copy
import itertools
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError

from tests.bargain.support import BARGAIN_BODIES
from tests.support import Headers, expect
from tests.tenancy.test_store_scope import VALID_BODIES, Tenant, fill, populated_tenant
from weshop.core.clock import EARLIEST_MOMENT, LATEST_MOMENT, OUT_OF_RANGE, Moment
from weshop.core.urls import URL_NOT_ALLOWED

Location = tuple[str | int, ...]
NOT_STRICT_INTEGERS = ["100", 100.0, True]
HOSTILE_URLS = [
    "javascript:alert(4)",
    "JavaScript:alert(4)",
    " javascript:alert(4)",
    "data:image/svg+xml;base64,PHN2Zz4=",
    "vbscript:msgbox(4)",
    "//evil.example/logo.png",
    "evil.example/logo.png",
    "logo.png",
    "../media/1/logo.png",
    "/media/../secret",
    "/static/../media/x.png",
    "https://user:password@evil.example/",
    "https://evil.example\\@shop.example/",
    'https://shop.example/a.png" onerror="alert(4)',
    "ftp://shop.example/logo.png",
    "https://",
]
GOOD_URLS = [
    "https://cdn.example.com/logo.png?v=2",
    "http://shop.example:8080/a.png",
    "/media/1/a.png",
]
DATETIME_REFUSALS = {"timezone_aware", OUT_OF_RANGE}


# Discovery


def api_routes(app) -> Iterator[APIRoute]:
    """Every route of the app, inside the routers it includes."""

    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    return walk(app.routes)


@dataclass(frozen=True)
class Body:
    method: str
    path: str
    model: type[BaseModel]


def bodies(app) -> list[Body]:
    """Each route that takes a JSON body, with its model."""
    found = []
    for route in api_routes(app):
        if route.body_field is None:
            continue
        model = route.body_field.field_info.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        if not model.__module__.startswith("weshop."):
            continue  # FastAPI's own model of a multipart upload
        for method in route.methods:
            found.append(Body(method, route.path, model))
    return found


async def test_every_body_model_lives_in_a_schemas_module(app) -> None:
    found = bodies(app)
    assert len(found) >= 40
    elsewhere = {b.model.__qualname__ for b in found if not b.model.__module__.endswith(".schemas")}
    assert not elsewhere, f"body models outside weshop.<domain>.schemas: {elsewhere}"


@dataclass(frozen=True)
class Leaf:
    """One value of a body: where it sits (``tiers.0.threshold_fen``) and its JSON schema."""

    location: Location
    schema: dict[str, Any]

    @property
    def name(self) -> str:
        return next(str(part) for part in reversed(self.location) if isinstance(part, str))

    def has(self, kind: str, fmt: str | None = None) -> bool:
        return any(
            option.get("type") == kind and (fmt is None or option.get("format") == fmt)
            for option in self.schema.get("anyOf", [self.schema])
        )


def leaves(model: type[BaseModel]) -> list[Leaf]:
    """Every scalar a body of ``model`` may carry, nested objects and list items included."""
    root = model.model_json_schema(mode="validation")
    definitions = root.get("$defs", {})

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = definitions[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def walk(schema: dict[str, Any], location: Location) -> Iterator[Leaf]:
        schema = resolve(schema)
        options = [resolve(option) for option in schema.get("anyOf", [schema])]
        for option in options:
            if "properties" in option:
                for name, child in option["properties"].items():
                    yield from walk(child, (*location, name))
                return
            if option.get("type") == "array" and "items" in option:
                yield from walk(option["items"], (*location, 0))
                return
        yield Leaf(location, {"anyOf": options})

    return list(walk(root, ()))


def with_value(body: Any, location: Location, value: Any) -> Any:
    """A copy of ``body`` with ``value`` at ``location``, making objects and lists on the way."""
    body = copy.deepcopy(body) if isinstance(body, dict) else {}
    node = body
    for part, following in itertools.pairwise(location):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            if not node:
                node.append(empty)
            node = node[0]
        else:
            if not isinstance(node.get(part), type(empty)):
                node[part] = empty
            node = node[part]
    last = location[-1]
    if isinstance(last, int):
        node[:] = [value]
    else:
        node[last] = value
    return body


def error_types_at(errors: list[dict[str, Any]], location: Location) -> set[str]:
    """The error types pydantic gave for ``location`` (or, for the API, ``body.location``).

    A leaf is a scalar, so anything pydantic adds after its location names a member of a
    union (``points.constrained-int`` for ``int | Literal["all"]``), not a nested field."""
    wanted = ".".join(str(part) for part in location)
    found = set()
    for error in errors:
        field = error.get("field", ".".join(str(part) for part in error.get("loc", ())))
        for prefix in (wanted, f"body.{wanted}"):
            if field == prefix or field.startswith(f"{prefix}."):
                found.add(error["type"])
    return found


def schema_errors(model: type[BaseModel], body: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return list(exc.errors())
    return []


def body_leaves(app, keep) -> list[tuple[Body, Leaf]]:
    return [(body, leaf) for body in bodies(app) for leaf in leaves(body.model) if keep(leaf)]


def is_moment(leaf: Leaf) -> bool:
    return leaf.has("string", "date-time") or leaf.has("string", "date")


def is_integer(leaf: Leaf) -> bool:
    return leaf.has("integer")


def is_url(leaf: Leaf) -> bool:
    return leaf.has("string") and ("url" in leaf.name or "image" in leaf.name)


def headers_for(path: str, tenant: Tenant, operator: Headers) -> Headers:
    if "/platform/" in path:
        return operator
    staff = "/merchant/" in path or path.startswith("/console/")
    return tenant.owner if staff else tenant.shopper


async def post_with(client, body: Body, tenant: Tenant, operator: Headers, location, value):
    valid = VALID_BODIES.get((body.method, body.path), {})
    return await client.request(
        body.method,
        fill(body.path, tenant.ids),
        json=with_value(valid, location, value),
        headers=headers_for(body.path, tenant, operator),
    )


def refusal_types(answer) -> tuple[str, list[dict[str, Any]]]:
    error = answer.json()["error"]
    return error["code"], error.get("details", [])


# Integers: strict in every body


async def test_every_integer_of_every_body_refuses_text_floats_and_booleans(app) -> None:
    checked = 0
    for body, leaf in body_leaves(app, is_integer):
        for value in NOT_STRICT_INTEGERS:
            errors = schema_errors(body.model, with_value({}, leaf.location, value))
            assert "int_type" in error_types_at(errors, leaf.location), (
                f"{body.model.__name__}.{'.'.join(map(str, leaf.location))} took {value!r}"
            )
        checked += 1
    assert checked >= 50, checked


async def test_the_api_answers_422_to_an_integer_sent_as_text_float_or_boolean(
    api, app, client
) -> None:
    tenant = await populated_tenant(api)
    operator = await api.operator()
    checked = 0
    for body, leaf in body_leaves(app, is_integer):
        for value in NOT_STRICT_INTEGERS:
            answer = await post_with(client, body, tenant, operator, leaf.location, value)
            where = f"{body.method} {body.path} {'.'.join(map(str, leaf.location))}={value!r}"
            assert answer.status_code == 422, f"{where}: {answer.status_code} {answer.text}"
            code, details = refusal_types(answer)
            assert code == "invalid_input", where
            assert "int_type" in error_types_at(details, leaf.location), f"{where}: {details}"
            checked += 1
    assert checked >= 150, checked


# Dates and times: aware, and between 2000 and 2100


def moment_leaves(app) -> list[tuple[Body, Leaf]]:
    found = body_leaves(app, is_moment)
    assert len(found) >= 6, found  # coupon windows (store and platform), reduction windows
    return found


def offsets() -> st.SearchStrategy[timezone]:
    minutes = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)
    return minutes.map(lambda m: timezone(timedelta(minutes=m)))


def naive_moments() -> st.SearchStrategy[str]:
    return st.datetimes().map(datetime.isoformat)


def out_of_range_moments() -> st.SearchStrategy[str]:
    before = st.datetimes(max_value=datetime(1999, 12, 30), timezones=offsets())
    after = st.datetimes(min_value=datetime(2101, 1, 2), timezones=offsets())
    edges = st.sampled_from(
        [
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            "1999-12-31T23:59:59.999999Z",
            "2101-01-01T00:00:00Z",
            "2000-01-01T07:59:59+08:00",
        ]
    )
    return st.one_of(edges, (before | after).map(datetime.isoformat))


def in_range_moments() -> st.SearchStrategy[str]:
    inside = st.datetimes(
        min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30), timezones=offsets()
    )
    edges = st.sampled_from(
        [
            EARLIEST_MOMENT.isoformat(),
            LATEST_MOMENT.isoformat(),
            "2000-01-01T08:00:00+08:00",
            "2101-01-01T07:59:59+08:00",
            "2100-12-31T23:59:59Z",
        ]
    )
    return st.one_of(edges, inside.map(datetime.isoformat))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
async def test_every_datetime_of_every_body_is_aware_and_in_range(app, data) -> None:
    body, leaf = data.draw(st.sampled_from(moment_leaves(app)), label="field")
    refused = data.draw(naive_moments() | out_of_range_moments(), label="refused")
    errors = schema_errors(body.model, with_value({}, leaf.location, refused))
    assert error_types_at(errors, leaf.location) & DATETIME_REFUSALS, errors
    accepted = data.draw(in_range_moments(), label="accepted")
    errors = schema_errors(body.model, with_value({}, leaf.location, accepted))
    assert not error_types_at(errors, leaf.location), errors


@pytest.fixture
async def tenant(api) -> Tenant:
    return await populated_tenant(api)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=naive_moments() | out_of_range_moments())
async def test_the_api_answers_422_to_a_naive_or_far_away_datetime(api, app, client, tenant, value):
    operator = await api.operator()
    for body, leaf in moment_leaves(app):
        answer = await post_with(client, body, tenant, operator, leaf.location, value)
        where = f"{body.method} {body.path} {'.'.join(map(str, leaf.location))}={value!r}"
        assert answer.status_code == 422, f"{where}: {answer.status_code} {answer.text}"
        code, details = refusal_types(answer)
        assert code == "invalid_input", where
        assert error_types_at(details, leaf.location) & DATETIME_REFUSALS, f"{where}: {details}"


# Bodies whose dates span the whole accepted range; each route taking a date needs one.
FAR_APART = {"valid_from": "2000-01-01T08:00:00+08:00", "valid_until": LATEST_MOMENT.isoformat()}
FLASH_LAST_WEEK = {
    "title": "世纪末秒杀",
    "starts_at": "2100-12-25T00:00:00Z",
    "ends_at": "2100-12-31T23:59:59.999999Z",
}
WIDEST_WINDOWS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/merchant/stores/{store_id}/coupon-templates"): {
        **VALID_BODIES[("POST", "/api/v1/merchant/stores/{store_id}/coupon-templates")],
        "valid_days_after_claim": None,
        **FAR_APART,
    },
    ("POST", "/api/v1/platform/coupon-templates"): {
        **VALID_BODIES[("POST", "/api/v1/platform/coupon-templates")],
        "valid_days_after_claim": None,
        **FAR_APART,
    },
    ("POST", "/api/v1/merchant/stores/{store_id}/full-reductions"): {
        **VALID_BODIES[("POST", "/api/v1/merchant/stores/{store_id}/full-reductions")],
        "starts_at": EARLIEST_MOMENT.isoformat(),
        "ends_at": "2101-01-01T07:59:59+08:00",
    },
    ("PUT", "/api/v1/merchant/stores/{store_id}/full-reductions/{reduction_id}"): {
        **VALID_BODIES[
            ("PUT", "/api/v1/merchant/stores/{store_id}/full-reductions/{reduction_id}")
        ],
        "starts_at": "2000-01-01T00:00:00Z",
        "ends_at": "2100-12-31T23:59:59.999999Z",
    },
    # The tenant is the first store of a fresh database: its product and SKU have id 1.
    ("POST", "/api/v1/merchant/stores/{store_id}/group-buys"): {
        **VALID_BODIES[("POST", "/api/v1/merchant/stores/{store_id}/group-buys")],
        "starts_at": EARLIEST_MOMENT.isoformat(),
        "ends_at": LATEST_MOMENT.isoformat(),
    },
    # The tenant's campaign has groups: its start stays as created (the creation above takes
    # the range's first moment), its end may move to the range's last.
    ("PATCH", "/api/v1/merchant/stores/{store_id}/group-buys/{campaign_id}"): {
        "ends_at": "2100-12-31T23:59:59.999999Z",
    },
    **{
        route: {
            **BARGAIN_BODIES[route],
            "starts_at": EARLIEST_MOMENT.isoformat(),
            "ends_at": "2101-01-01T07:59:59+08:00",
        }
        for route in BARGAIN_BODIES
        if route[0] == "PUT" or route[1].endswith("/campaigns")
    },
    # A flash-sale session lasts at most 7 days and ends in the future: the range's last week.
    ("POST", "/api/v1/merchant/stores/{store_id}/flash-sessions"): FLASH_LAST_WEEK,
    ("PATCH", "/api/v1/merchant/stores/{store_id}/flash-sessions/{flash_session_id}"): (
        FLASH_LAST_WEEK
    ),
    ("POST", "/api/v1/platform/flash-sessions"): FLASH_LAST_WEEK,
    # The tenant's product 1 is not in the pool yet (its listing is of another product).
    ("POST", "/api/v1/merchant/stores/{store_id}/affiliate-listings"): {
        **VALID_BODIES[("POST", "/api/v1/merchant/stores/{store_id}/affiliate-listings")],
        "valid_from": EARLIEST_MOMENT.isoformat(),
        "valid_until": LATEST_MOMENT.isoformat(),
    },
    ("PATCH", "/api/v1/merchant/stores/{store_id}/affiliate-listings/{listing_id}"): {
        "valid_from": EARLIEST_MOMENT.isoformat(),
        "valid_until": LATEST_MOMENT.isoformat(),
    },
}


async def test_the_first_and_last_moments_of_the_range_are_accepted(api, app, client, tenant):
    operator = await api.operator()
    routes = {(body.method, body.path) for body, _ in moment_leaves(app)}
    assert routes == set(WIDEST_WINDOWS), "give each route taking a date its widest window"
    for (method, path), body in WIDEST_WINDOWS.items():
        answer = await client.request(
            method, fill(path, tenant.ids), json=body, headers=headers_for(path, tenant, operator)
        )
        assert answer.status_code in (200, 201), f"{method} {path}: {answer.text}"
        saved = answer.json()
        for name, sent in body.items():
            if name in ("valid_from", "valid_until", "starts_at", "ends_at"):
                stored = datetime.fromisoformat(saved[name])
                assert stored == datetime.fromisoformat(sent.replace("Z", "+00:00"))
                assert stored.utcoffset() == timedelta(0), "kept in UTC"


def query_dates(route: APIRoute) -> list[tuple[str, type]]:
    """The query parameters of a route that hold a date or a time."""

    def kinds(annotation: Any) -> set[type]:
        args = typing.get_args(annotation)
        if args:
            return set().union(*(kinds(arg) for arg in args))
        if annotation is AwareDatetime or (
            isinstance(annotation, type) and issubclass(annotation, datetime)
        ):
            return {datetime}
        return {date} if isinstance(annotation, type) and issubclass(annotation, date) else set()

    found = []
    for param in route.dependant.query_params:
        for kind in kinds(param.field_info.annotation):
            found.append((param.alias, kind))
    return found


async def test_every_date_in_a_query_string_is_refused_out_of_range(api, app, client, tenant):
    """API routes and pages alike: 9999, year 1 or a naive time is a 422, never a 500."""
    operator = await api.operator()
    checked = []
    for route in api_routes(app):
        params = query_dates(route)
        if not params or "GET" not in route.methods:
            continue
        headers = headers_for(route.path, tenant, operator)
        if not route.path.startswith("/api/"):
            headers = {**headers, "Accept": "text/html"}
            client.cookies.set("weshop_session", headers["Authorization"].removeprefix("Bearer "))
        for name, kind in params:
            values = (
                ["9999-12-31", "0001-01-01", "1999-12-31"]
                if kind is date
                else ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+23:59", "2030-01-01T00:00:00"]
            )
            for value in values:
                answer = await client.get(
                    fill(route.path, tenant.ids), params={name: value}, headers=headers
                )
                assert answer.status_code == 422, (
                    f"{route.path}?{name}={value}: {answer.status_code}"
                )
            checked.append(f"{route.path}?{name}")
        client.cookies.clear()
    assert len(checked) >= 8, checked


# URLs: http(s) or this installation's media


async def test_every_url_field_of_every_body_is_a_checked_url(app) -> None:
    """A field named like a URL or an image that is text must be a ``WebUrl``: a plain ``str``
    would take ``javascript:``."""
    checked = []
    for body, leaf in body_leaves(app, is_url):
        for value in HOSTILE_URLS:
            errors = schema_errors(body.model, with_value({}, leaf.location, value))
            assert URL_NOT_ALLOWED in error_types_at(errors, leaf.location), (
                f"{body.model.__name__}.{leaf.name} took {value!r}: a plain str? Use WebUrl"
            )
        for value in GOOD_URLS:
            errors = schema_errors(body.model, with_value({}, leaf.location, value))
            assert not error_types_at(errors, leaf.location), (leaf.name, value, errors)
        checked.append(f"{body.model.__name__}.{leaf.name}")
    assert "StoreSettings.logo_url" in checked, checked


async def test_the_api_answers_422_to_a_url_that_is_not_http_or_media(api, app, client, tenant):
    operator = await api.operator()
    checked = 0
    for body, leaf in body_leaves(app, is_url):
        for value in HOSTILE_URLS:
            answer = await post_with(client, body, tenant, operator, leaf.location, value)
            where = f"{body.method} {body.path} {leaf.name}={value!r}"
            assert answer.status_code == 422, f"{where}: {answer.status_code} {answer.text}"
            code, details = refusal_types(answer)
            assert code == "invalid_input" and URL_NOT_ALLOWED in error_types_at(
                details, leaf.location
            ), f"{where}: {details}"
            checked += 1
        for value in GOOD_URLS:
            answer = await post_with(client, body, tenant, operator, leaf.location, value)
            assert answer.status_code < 300, f"{body.path} {value}: {answer.text}"
    assert checked >= len(HOSTILE_URLS)


async def test_a_store_logo_is_shown_only_from_an_accepted_url(api, client, tenant) -> None:
    store = f"/api/v1/merchant/stores/{tenant.store_id}"
    refused = await client.patch(
        store, json={"logo_url": "javascript:alert(4)"}, headers=tenant.owner
    )
    assert refused.status_code == 422
    expect(
        await client.patch(
            store, json={"logo_url": "https://cdn.example.com/l.png"}, headers=tenant.owner
        ),
        200,
    )
    page = await client.get(f"/s/{tenant.store_id}", headers={"Accept": "text/html"})
    assert 'src="https://cdn.example.com/l.png"' in page.text and "javascript:" not in page.text
    cleared = expect(await client.patch(store, json={"logo_url": ""}, headers=tenant.owner), 200)
    assert cleared["logo_url"] == ""


def test_a_moment_is_kept_in_utc() -> None:
    china = TypeAdapter(Moment).validate_python("2030-06-01T08:00:00+08:00")
    assert china == datetime(2030, 6, 1, tzinfo=UTC) and china.tzinfo is UTC
