"""Reconciliation of profit sharing: WeChat Pay's profit-sharing bill (paysim, partner mode)
against the ledger's settlements and refunds of real orders with commissions — the platform
fee and each paid-out promoter's commission split at settlement, the fee returned before a
refund after settlement; a commission the store owes (no payout account) is not split."""

# The simulator fixtures are imported by name, as pytest finds them: used as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from tests.affiliates.commission_support import Seller, follow_link, set_payout
from tests.affiliates.conftest import Pool, open_pool
from tests.affiliates.test_commission_payouts import complete, openid
from tests.paysim.fixtures import (  # noqa: F401
    NOTIFY_URL,
    FakeClock,
    cashier,
    inbox,
    merchant_keys,
    partner,
    pay_at_cashier,
    platform,
    sim,
    sim_app,
    transport,
    wechatpay,
)
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.ledger.reconciliation import (
    Difference,
    DifferenceKind,
    RecordKind,
    SplitRecord,
    compare_splits,
    reconcile_day,
    wechatpay_split_records,
)
from weshop.payments.providers import payment_setup
from weshop.payments.wechatpay.transactions import BEIJING
from weshop.paysim.identity import PLATFORM_MCHID, READY_SUB_MCHID

D = DifferenceKind
SPLIT, SPLIT_RETURN = RecordKind.SPLIT, RecordKind.SPLIT_RETURN
SETTLED_AFTER = timedelta(days=8)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utcnow())


async def settled_day(api, client, worker, sim, cashier, inbox, clock) -> dict:
    """Three orders through promoters' links, paid through WeChat Pay (partner mode) and
    settled: two by a promoter with a payout account, one by a promoter without; then a
    refund of a settled order. Returns the orders, the promoters and the refund."""

    async def to_weshop(headers, body: bytes) -> int:
        path = urlsplit(inbox.deliveries[-1].url).path
        return (await client.post(path, content=body, headers=dict(headers))).status_code

    inbox.handler = to_weshop
    pool: Pool = await open_pool(api)
    expect(
        await client.put(
            f"/api/v1/platform/stores/{pool.store_id}/payment-accounts/wechatpay",
            json={"sub_mchid": READY_SUB_MCHID},
            headers=pool.operator,
        ),
        200,
    )
    product = await api.create_product(
        pool.store_id, pool.owner, title="龙井", price_fen=12345, stock=100
    )
    await pool.pooled(product_id=product["id"], rate_bps=1000)
    pool.product = product
    paid_out = Seller(*await pool.promoter())
    owed = Seller(*await pool.promoter())
    await set_payout(pool, paid_out, openid(1))
    orders = []
    for seller in (paid_out, owed, paid_out):
        shopper, address_id = await api.buyer()
        await follow_link(pool, seller, shopper)
        placed = expect(
            await api.place_order(shopper, address_id, [(product["skus"][0]["id"], 2)]), 201
        )
        order = placed["orders"][0]
        payment = expect(
            await client.post(
                f"/api/v1/me/orders/{order['id']}/payments",
                params={"provider": "wechatpay"},
                headers=shopper,
            ),
            201,
        )
        assert (await pay_at_cashier(cashier, h5_url=payment["cashier_url"])).status_code == 200
        await sim.process_due()
        order = await api.order(shopper, order["id"])
        assert order["status"] == "paid"
        order["shopper"] = shopper
        await complete(pool, order)
        orders.append(order)
    # The after-sales window closes: WeShop and the provider move on together.
    later = utcnow() + SETTLED_AFTER
    clock.advance(days=SETTLED_AFTER.days)
    await worker.drain(later, max_rounds=1000)
    await sim.process_due()
    await worker.drain(later, max_rounds=1000)
    refund = expect(
        await client.post(
            f"/api/v1/merchant/stores/{pool.store_id}/orders/{orders[2]['id']}/refunds",
            json={
                "lines": [{"order_line_id": orders[2]["lines"][0]["id"], "amount_fen": 5000}],
                "reason": "部分退款",
            },
            headers=pool.owner,
        ),
        201,
    )
    await worker.drain(utcnow(), max_rounds=1000)  # the fee returned, the refund sent
    await sim.process_due()
    await worker.drain(later + timedelta(minutes=2), max_rounds=1000)
    day = clock().astimezone(BEIJING).date()
    clock.advance(days=1)  # the bill of a day is ready the next day
    return {"orders": orders, "refund": refund, "day": day}


async def reconcile(runtime, day):
    async with runtime.db.session(write=False) as session, session.begin():
        return await reconcile_day(session, "wechatpay", day, payment_setup(runtime))


async def test_a_clean_day_reconciles_and_changes_on_either_side_are_listed(
    api, client, worker, runtime, wechatpay, partner, sim, cashier, inbox, clock
) -> None:
    done = await settled_day(api, client, worker, sim, cashier, inbox, clock)
    day, (first, second, third) = done["day"], done["orders"]
    splits = await wechatpay_split_records(partner, day)
    by_receiver = {(r.kind, r.reference, r.receiver): r.amount_fen for r in splits}
    # Three settlements split the fee to the platform, two a commission to the promoter with
    # a payout account (the other's is owed by the store, not split); one fee return.
    assert sorted(key[0] for key in by_receiver) == [SPLIT] * 5 + [SPLIT_RETURN]
    commission = by_receiver[(SPLIT, f"S{first['order_no']}", openid(1))]
    assert commission == 2 * 12345 // 10
    assert (SPLIT, f"S{second['order_no']}", PLATFORM_MCHID) in by_receiver
    assert not any(key[2] == openid(2) for key in by_receiver)
    fee_return = f"F{done['refund']['out_refund_no']}"
    assert by_receiver[(SPLIT_RETURN, fee_return, PLATFORM_MCHID)] > 0

    clean = await reconcile(runtime, day)
    assert clean.differences == []
    assert (clean.provider_splits, clean.ledger_splits, clean.splits_not_compared) == (6, 6, None)

    # At the provider: the promoter's split of the first order altered, that of the third
    # gone, the fee return halved; in the ledger: the second settlement's platform fee lost.
    split_line = (
        "WHERE account = ? AND order_id = "
        "(SELECT order_id FROM sharing_orders WHERE out_order_no = ?)"
    )
    sim.store.run(
        f"UPDATE sharing_receivers SET amount = amount + 1 {split_line}",
        (openid(1), f"S{first['order_no']}"),
    )
    sim.store.run(
        f"DELETE FROM sharing_receivers {split_line}", (openid(1), f"S{third['order_no']}")
    )
    returned = by_receiver[(SPLIT_RETURN, fee_return, PLATFORM_MCHID)]
    sim.store.run(
        "UPDATE sharing_returns SET amount = ? WHERE out_return_no = ?", (returned // 2, fee_return)
    )
    fee = by_receiver[(SPLIT, f"S{second['order_no']}", PLATFORM_MCHID)]
    async with runtime.db.transaction() as session:
        await session.execute(
            text(
                "DELETE FROM postings WHERE account_id IN "
                "(SELECT id FROM ledger_accounts WHERE kind = 'platform_fee') AND entry_id IN "
                "(SELECT id FROM journal_entries WHERE kind = 'settlement' AND order_id = :id)"
            ),
            {"id": second["id"]},
        )
    found = await reconcile(runtime, day)
    assert sorted(found.differences, key=str) == sorted(
        [
            Difference(
                D.AMOUNT_MISMATCH,
                SPLIT,
                f"S{first['order_no']}",
                provider_fen=commission + 1,
                ledger_fen=commission,
                receiver=openid(1),
            ),
            Difference(
                D.MISSING_ON_OUR_SIDE,
                SPLIT,
                f"S{second['order_no']}",
                provider_fen=fee,
                receiver=PLATFORM_MCHID,
            ),
            Difference(
                D.MISSING_AT_PROVIDER,
                SPLIT,
                f"S{third['order_no']}",
                ledger_fen=commission,
                receiver=openid(1),
            ),
            Difference(
                D.AMOUNT_MISMATCH,
                SPLIT_RETURN,
                fee_return,
                provider_fen=returned // 2,
                ledger_fen=returned,
                receiver=PLATFORM_MCHID,
            ),
        ],
        key=str,
    )
    assert (
        f"missing_at_provider: split S{third['order_no']} receiver {openid(1)} "
        "(ledger ¥24.69)" in {str(difference) for difference in found.differences}
    )


split_keys = st.tuples(
    st.sampled_from([SPLIT, SPLIT_RETURN]),
    st.sampled_from(["S1", "S2", "F1"]),
    st.sampled_from([PLATFORM_MCHID, openid(1), openid(2)]),
)


@given(
    ledger=st.dictionaries(split_keys, st.integers(1, 10**9)),
    changes=st.dictionaries(split_keys, st.sampled_from(["drop", "add", "more", "less"])),
    data=st.data(),
)
def test_compare_splits_lists_exactly_what_differs(ledger, changes, data) -> None:
    """Whatever the provider lacks, adds or counts differently is one difference, with both
    figures; all else agrees. A receiver's lines are summed first: splitting one amount in
    two lines at the provider is no difference."""
    provider = dict(ledger)
    for key, change in changes.items():
        if change == "drop":
            provider.pop(key, None)
        elif change == "add" and key not in ledger:
            provider[key] = data.draw(st.integers(1, 10**9))
        elif key in provider:
            provider[key] += 1 if change == "more" else -1
    lines = []
    for (kind, reference, receiver), fen in provider.items():
        part = data.draw(st.integers(0, fen))
        lines += [SplitRecord(kind, reference, receiver, n) for n in (part, fen - part)]
    ours = [SplitRecord(*key, fen) for key, fen in ledger.items()]
    expected = []
    for key in sorted(provider.keys() | ledger.keys()):
        theirs, posted = provider.get(key), ledger.get(key)
        if theirs == posted:
            continue
        if posted is None:
            kind = D.MISSING_ON_OUR_SIDE
        elif theirs is None:
            kind = D.MISSING_AT_PROVIDER
        else:
            kind = D.AMOUNT_MISMATCH
        expected.append(
            Difference(
                kind, key[0], key[1], provider_fen=theirs, ledger_fen=posted, receiver=key[2]
            )
        )
    assert compare_splits(lines, ours) == expected
