"""Money in the simulator: balances per account, moved only by the documented rules.

- A payment credits the payee (the direct merchant, or the sub-merchant in partner mode):
  *frozen* when the order was made with profit sharing, *available* otherwise.
- A split moves frozen money of one order to receivers; only for profit-sharing orders,
  never more than the order's unsplit amount, never after the order was unfrozen.
- Unfreezing gives the payee the rest of the order once.
- A refund never exceeds paid minus refunded; it is paid from the order's unsplit money
  first, then from the payee's available balance. Money already split is not the payee's:
  unless the payee has enough of its own, the split must be returned before the refund.
- A return takes split money back from a merchant receiver to the payee's available balance.
- A subsidy (e-commerce 补差) moves the platform's available money into an order before it
  is split, so it is released with the order; returning it after a refund moves it back.
- A deposit (充值) is the only money that enters from outside a payment: the platform's own
  funds, from which it subsidises.

Every movement is one conditional UPDATE, so no balance can go negative; the sum of all
balances always equals what was paid and deposited minus what was refunded.
"""

from __future__ import annotations

from weshop.paysim.errors import invalid_request, not_enough
from weshop.paysim.store import Row, Store

RECEIVER_ACCOUNT_PREFIX = {
    "MERCHANT_ID": "mch",
    "PERSONAL_OPENID": "openid",
    "PERSONAL_SUB_OPENID": "sub_openid",
}


def payee_of(transaction: Row) -> str:
    return f"mch:{transaction['sub_mchid'] or transaction['mchid']}"


def receiver_owner(receiver_type: str, account: str) -> str:
    return f"{RECEIVER_ACCOUNT_PREFIX[receiver_type]}:{account}"


def _credit(store: Store, owner: str, *, available: int = 0, frozen: int = 0) -> None:
    store.run(
        "INSERT INTO accounts (owner, available, frozen) VALUES (?, ?, ?) "
        "ON CONFLICT (owner) DO UPDATE SET available = available + excluded.available, "
        "frozen = frozen + excluded.frozen",
        (owner, available, frozen),
    )


def _debit(store: Store, owner: str, *, available: int = 0, frozen: int = 0) -> bool:
    changed = store.run(
        "UPDATE accounts SET available = available - ?, frozen = frozen - ? "
        "WHERE owner = ? AND available >= ? AND frozen >= ?",
        (available, frozen, owner, available, frozen),
    )
    return changed == 1


def collect(store: Store, transaction: Row) -> None:
    """The payer paid: the money reaches the payee, frozen if it is to be split."""
    total = int(transaction["total"])
    if transaction["profit_sharing"]:
        _credit(store, payee_of(transaction), frozen=total)
        store.run(
            "UPDATE transactions SET unsplit = ? WHERE transaction_id = ?",
            (total, transaction["transaction_id"]),
        )
    else:
        _credit(store, payee_of(transaction), available=total)


def check_splittable(transaction: Row) -> None:
    if not transaction["profit_sharing"]:
        raise invalid_request("非分账订单不支持分账")
    if transaction["sharing_finished"]:
        raise invalid_request("订单已完结分账(剩余资金已解冻)，不能再分账")


def split(store: Store, transaction: Row, parts: list[tuple[str, int]]) -> None:
    check_splittable(transaction)
    amount = sum(part for _, part in parts)
    if amount > int(transaction["unsplit"]):
        raise not_enough(
            f"分账金额不足: 剩余待分金额{transaction['unsplit']}分，请求分账{amount}分"
        )
    if not _debit(store, payee_of(transaction), frozen=amount):
        raise not_enough("分账方冻结资金不足")
    for owner, part in parts:
        _credit(store, owner, available=part)
    store.run(
        "UPDATE transactions SET unsplit = unsplit - ? WHERE transaction_id = ?",
        (amount, transaction["transaction_id"]),
    )


def unfreeze(store: Store, transaction: Row) -> int:
    """Give the payee the unsplit rest; returns how much that was."""
    check_splittable(transaction)
    amount = int(transaction["unsplit"])
    if amount and not _debit(store, payee_of(transaction), frozen=amount):
        raise not_enough("分账方冻结资金不足")
    _credit(store, payee_of(transaction), available=amount)
    store.run(
        "UPDATE transactions SET unsplit = 0, sharing_finished = 1 WHERE transaction_id = ?",
        (transaction["transaction_id"],),
    )
    return amount


def refund(store: Store, transaction: Row, amount: int) -> None:
    refundable = int(transaction["total"]) - int(transaction["refunded"])
    if amount > refundable:
        raise invalid_request(f"申请退款金额超过订单可退金额: 可退{refundable}分，申请{amount}分")
    from_unsplit = min(amount, int(transaction["unsplit"]))
    from_available = amount - from_unsplit
    if not _debit(store, payee_of(transaction), available=from_available, frozen=from_unsplit):
        raise not_enough("基本账户余额不足，请充值后重新发起(已分账的资金请先分账回退)")
    store.run(
        "UPDATE transactions SET unsplit = unsplit - ?, refunded = refunded + ?, "
        "state = 'REFUND' WHERE transaction_id = ?",
        (from_unsplit, amount, transaction["transaction_id"]),
    )


def deposit(store: Store, owner: str, amount: int) -> None:
    _credit(store, owner, available=amount)


def subsidise(store: Store, platform: str, transaction: Row, amount: int) -> None:
    """The platform's money joins the order's frozen, unsplit funds."""
    check_splittable(transaction)
    if not _debit(store, platform, available=amount):
        raise not_enough("补差账户余额不足")
    _credit(store, payee_of(transaction), frozen=amount)
    store.run(
        "UPDATE transactions SET unsplit = unsplit + ? WHERE transaction_id = ?",
        (amount, transaction["transaction_id"]),
    )


def return_subsidy(store: Store, platform: str, transaction: Row, amount: int) -> bool:
    """A subsidy goes back from the payee's available money; False when it has not enough."""
    if not _debit(store, payee_of(transaction), available=amount):
        return False
    _credit(store, platform, available=amount)
    return True


def give_back(store: Store, receiver: str, payee: str, amount: int) -> bool:
    """Return split money from a receiver; False when the receiver has not enough left."""
    if not _debit(store, receiver, available=amount):
        return False
    _credit(store, payee, available=amount)
    return True


def balance(store: Store, owner: str) -> tuple[int, int]:
    """(available, frozen) of an account."""
    row = store.one("SELECT available, frozen FROM accounts WHERE owner = ?", (owner,))
    return (int(row["available"]), int(row["frozen"])) if row else (0, 0)
