"""Personal receivers (a promoter's openid) as WeChat Pay checks them: the account must be an
openid, a split to one names the appid it was added under, and a split to a person cannot be
returned (WeChat Pay returns splits from merchant receivers only)."""

from __future__ import annotations

import pytest

from tests.paysim.test_flows import expect_error
from tests.paysim.test_profitsharing import PROMOTER, SUB, sharing_order
from weshop.payments.wechatpay.errors import WechatPayApiError
from weshop.payments.wechatpay.profitsharing import Split
from weshop.paysim import funds
from weshop.paysim.errors import ApiError
from weshop.paysim.identity import PLATFORM_APPID, PLATFORM_MCHID
from weshop.paysim.profitsharing import SplitOrder, SplitTo
from weshop.paysim.security import Caller

PLATFORM = Caller(mchid=PLATFORM_MCHID, role="platform", appid=PLATFORM_APPID)


@pytest.mark.parametrize("account", ["oShort", "o" * 29, "oUpF8uMuAJO_M2pxb1Q9zNjWe$6o"])
async def test_a_personal_receiver_must_be_an_openid(partner, account) -> None:
    with pytest.raises(WechatPayApiError) as refused:
        await partner.profit_sharing.add_receiver(
            type="PERSONAL_OPENID", account=account, relation_type="DISTRIBUTOR", sub_mchid=SUB
        )
    expect_error(refused, 400, "PARAM_ERROR")


async def test_a_split_to_a_person_names_the_appid_it_was_added_under(
    partner, sim, cashier
) -> None:
    transaction_id = await sharing_order(partner, cashier, "PERSON000001", 1000)
    to_promoter = SplitTo(type="PERSONAL_OPENID", account=PROMOTER, amount=100, description="佣金")
    for appid, code in ((None, "PARAM_ERROR"), ("wx0000000000000000", "INVALID_REQUEST")):
        with pytest.raises(ApiError) as refused:
            sim.sharing.split(
                PLATFORM,
                SplitOrder(
                    sub_mchid=SUB, appid=appid, transaction_id=transaction_id,
                    out_order_no=f"PERSON-{code}", receivers=[to_promoter],
                    unfreeze_unsplit=False,
                ),
            )  # fmt: skip
        assert refused.value.code == code
    assert funds.balance(sim.store, f"openid:{PROMOTER}") == (0, 0)
    # Through the client, which names the platform's appid: accepted.
    await partner.profit_sharing.split(
        transaction_id=transaction_id, out_order_no="PERSON-OK",
        receivers=[Split("PERSONAL_OPENID", PROMOTER, 100, "佣金")], unfreeze_unsplit=True,
        sub_mchid=SUB,
    )  # fmt: skip
    assert funds.balance(sim.store, f"openid:{PROMOTER}") == (100, 0)


async def test_a_split_to_a_person_cannot_be_returned(partner, sim, cashier) -> None:
    transaction_id = await sharing_order(partner, cashier, "PERSON000002", 1000)
    await partner.profit_sharing.split(
        transaction_id=transaction_id, out_order_no="PERSON-SPLIT",
        receivers=[Split("PERSONAL_OPENID", PROMOTER, 300, "佣金")], unfreeze_unsplit=True,
        sub_mchid=SUB,
    )  # fmt: skip
    with pytest.raises(WechatPayApiError) as refused:
        await partner.profit_sharing.return_split(
            out_order_no="PERSON-SPLIT", out_return_no="PERSON-RET", return_mchid=PROMOTER,
            amount_fen=300, description="退款", sub_mchid=SUB,
        )  # fmt: skip
    expect_error(refused, 400, "INVALID_REQUEST")
    assert funds.balance(sim.store, f"openid:{PROMOTER}") == (300, 0)
