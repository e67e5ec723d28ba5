"""Every body-taking endpoint, fed hostile values field by field: never a 500, never a write.

The endpoints and their fields come from the app's OpenAPI description, so new endpoints
are covered without editing this file.
"""

from __future__ import annotations

from sqlalchemy import text

from tests.tenancy.test_store_scope import VALID_BODIES, endpoints, fill, populated_tenant
from weshop.models import metadata

HOSTILE_VALUES = [None, -1, 2**70, 1.5, "", "x" * 10_000, "\u0000", [], True]
IGNORED_TABLES = {"rate_counters", "auth_sessions", "login_codes", "outbox"}


COUNT_ROWS = text(
    "SELECT "
    + ", ".join(
        f'(SELECT count(*) FROM "{table.name}")'
        for table in metadata.sorted_tables
        if table.name not in IGNORED_TABLES
    )
)


async def row_counts(runtime) -> tuple[int, ...]:
    """How many rows each table has, in one round trip."""
    async with runtime.db.read_engine.connect() as conn:
        return tuple((await conn.execute(COUNT_ROWS)).one())


def properties(app, endpoint) -> list[str]:
    spec = app.openapi()
    operation = spec["paths"][endpoint.template][endpoint.method.lower()]
    schema = operation["requestBody"]["content"].get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return list(schema.get("properties", {}))


async def test_hostile_field_values_never_break_an_endpoint(api, app, client, runtime):
    tenant = await populated_tenant(api)
    operator = await api.operator()
    checked = 0
    for endpoint in endpoints(app, "/api/v1/"):
        if not endpoint.takes_body or endpoint.takes_upload:
            continue
        headers = tenant.owner if "/merchant/" in endpoint.template else tenant.shopper
        if "/platform/" in endpoint.template:
            headers = operator
        valid = VALID_BODIES.get((endpoint.method, endpoint.template), {})
        path = fill(endpoint.template, tenant.ids)
        for field in properties(app, endpoint):
            for value in HOSTILE_VALUES:
                body = dict(valid) if isinstance(valid, dict) else {}
                body[field] = value
                before = await row_counts(runtime)
                answer = await client.request(endpoint.method, path, json=body, headers=headers)
                assert answer.status_code < 500, (
                    f"{endpoint.method} {endpoint.template} {field}={value!r}: {answer.text}"
                )
                if answer.status_code >= 400:
                    assert answer.json()["error"]["code"], answer.text
                    assert await row_counts(runtime) == before, (
                        f"{endpoint.method} {endpoint.template} {field}={value!r} wrote rows"
                    )
                checked += 1
    assert checked > 200
