from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support import Api, Headers


@dataclass
class Shop:
    store: dict
    owner: Headers
    product: dict
    shopper: Headers
    address: dict

    @property
    def sku_id(self) -> int:
        return self.product["skus"][0]["id"]


async def open_shop(api: Api, *, stock: int = 10, price_fen: int = 1999) -> Shop:
    operator = await api.operator()
    store, owner = await api.create_store(operator)
    product = await api.create_product(store["id"], owner, price_fen=price_fen, stock=stock)
    shopper = await api.sign_in()
    address = await api.add_address(shopper)
    return Shop(store, owner, product, shopper, address)


@pytest.fixture
async def shop(api: Api) -> Shop:
    return await open_shop(api)
