"""The OpenAPI description is part of the product: every operation is described."""

from __future__ import annotations

from tests.support import expect
from weshop.core.pagination import DEFAULT_LIMIT, MAX_LIMIT


async def test_every_operation_has_a_description_and_a_tag(app, client):
    spec = expect(await client.get("/openapi.json"), 200)
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if not operation.get("description", "").strip() or not operation.get("tags")
    ]
    assert undocumented == []
    assert len(spec["paths"]) > 30


async def test_the_docs_page_is_served(client):
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "swagger" in page.text.lower()


async def test_every_page_size_is_documented_with_its_bounds_and_default(client):
    spec = expect(await client.get("/openapi.json"), 200)
    page_sizes = [
        parameter
        for operations in spec["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and parameter["name"] == "limit"
    ]
    assert len(page_sizes) > 20
    for parameter in page_sizes:
        assert parameter["description"].strip()
        schema = parameter["schema"]
        assert (schema["minimum"], schema["maximum"]) == (1, MAX_LIMIT)
        assert schema["default"] == DEFAULT_LIMIT
