"""Every JSON body the API takes refuses a field it does not know (422 ``extra_forbidden``).

Ignored, an unknown field can change what a request means without a word: a fee rate sent
with a store ``category_id`` after fees moved to platform categories set the whole plan's rate.
A sweep over every route's body model and the models inside it, so that no new body forgets.
"""

from __future__ import annotations

import inspect
import typing

from fastapi import params
from fastapi.routing import APIRoute
from pydantic import BaseModel

from weshop.routes import API_ROUTERS


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _body_models() -> dict[type[BaseModel], str]:
    found: dict[type[BaseModel], str] = {}

    def walk(model: type[BaseModel], path: str) -> None:
        if model in found:
            return
        found[model] = path
        for field in model.model_fields.values():
            for inner in _models_in(field.annotation):
                walk(inner, path)

    for router in API_ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or route.body_field is None:
                continue
            # Uploads are multipart forms that FastAPI models itself.
            if isinstance(route.body_field.field_info, params.Form | params.File):
                continue
            for model in _models_in(route.body_field.field_info.annotation):
                walk(model, f"{sorted(route.methods)[0]} {route.path}")
    return found


def test_every_json_body_refuses_unknown_fields() -> None:
    models = _body_models()
    assert len(models) > 100
    lax = [
        f"{path}: {model.__module__}.{model.__name__}"
        for model, path in models.items()
        if model.model_config.get("extra") != "forbid"
    ]
    assert not lax, "set model_config = ConfigDict(extra='forbid') on:\n" + "\n".join(lax)


async def test_an_unknown_field_is_a_422_that_names_it(api) -> None:
    operator = await api.operator()
    answer = await api.client.put(
        "/api/v1/platform/ledger/fee-rates",
        json={"plan": "basic", "category_id": 1, "rate_bp": 400},
        headers=operator,
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "body.category_id"
