"""Redis against the database, item by item: Redis stock + live units = flash stock.

The database holds the truth: ``FlashItem.sold`` (units of the live attempts), each
shopper's units, every attempt's token. Redis should hold the same, plus the attempts in
flight (accepted by the gate, not committed yet: its ``pending`` set). For every item of a
running session the reconciler computes what Redis should hold and compares:

- a pending token older than the grace, that the database does not know, belongs to a
  request that died between the gate and its commit (a crash, a killed process): its unit
  is lost to the sale until given back, so it is;
- keys missing (a flush, a restart without persistence) are loaded from the database;
- any other difference (stock, a shopper's units, a token) is drift, repaired.

A repair replaces the item's keys atomically, and only if nothing moved in Redis since they
were read (a version compare-and-set); otherwise it reads again. What it cannot see (an
attempt committed between its two reads) can only make Redis say too much is left, which the
database's guard refuses: never an oversell, at worst a refusal from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.flashsale import repository as repo
from weshop.flashsale.gate import FlashGate, GateState, Wanted, gate_of, token_key
from weshop.flashsale.models import FlashItem, FlashSession, SessionStatus

DEFAULT_GRACE_SECONDS = 30.0
_ROUNDS = 5


@dataclass(frozen=True)
class ItemCheck:
    item_id: int
    session_id: int
    flash_stock: int
    redis_stock: int | None  # None: the keys were missing
    live_units: int  # the database's sold (units of live attempts)
    attempt_units: int  # the same, summed from the attempts (must equal live_units)
    pending_units: int  # in flight, younger than the grace
    lost_units: int  # given back: accepted by the gate, never committed
    drift: int  # Redis stock minus what it should be (0 when missing)
    repaired: bool

    @property
    def consistent(self) -> bool:
        """After this check: Redis stock + live units + in flight = flash stock."""
        return self.live_units == self.attempt_units and (self.repaired or self.drift == 0)


async def _database_view(
    db: AsyncSession, item_id: int
) -> tuple[FlashItem, list[tuple[int, str, int, bool]], dict[int, int]]:
    item = await db.get_one(FlashItem, item_id, populate_existing=True)
    return item, await repo.live_tokens(db, item_id), await repo.buyers_of(db, item_id)


def _wanted(
    state: GateState | None,
    item: FlashItem,
    attempts: list[tuple[int, str, int, bool]],
    buyers: dict[int, int],
    now_ms: float,
    grace_ms: float,
) -> tuple[Wanted, int, int]:
    """What Redis should hold; with the units in flight and the units lost."""
    tokens = {
        token_key(user_id, token): str(quantity) if live else "x"
        for user_id, token, quantity, live in attempts
    }
    shoppers = dict(buyers)
    pending: dict[str, float] = {}
    in_flight = lost = 0
    if state is not None:
        for key, accepted_ms in state.pending.items():
            value = state.tokens.get(key, "x")
            if key in tokens or value == "x":
                continue
            if now_ms - accepted_ms < grace_ms:
                pending[key] = accepted_ms
                tokens[key] = value
                user_id = int(key.split(":", 1)[0])
                shoppers[user_id] = shoppers.get(user_id, 0) + int(value)
                in_flight += int(value)
            else:
                lost += int(value)
    wanted = Wanted(
        stock=item.flash_stock - item.sold - in_flight,
        limit=item.per_shopper_limit,
        attempts=max(item.attempts, state.attempts if state else 0),
        shoppers={user: units for user, units in shoppers.items() if units > 0},
        tokens=tokens,
        pending=pending,
    )
    return wanted, in_flight, lost


def _matches(state: GateState, wanted: Wanted) -> bool:
    return (
        state.stock == wanted.stock
        and state.limit == wanted.limit
        and state.shoppers == wanted.shoppers
        and state.tokens == wanted.tokens
        and set(state.pending) == set(wanted.pending)
    )


async def check_item(
    runtime: Any, gate: FlashGate, item_id: int, now: datetime, grace_seconds: float
) -> ItemCheck:
    """Compare one item's keys with the database and repair them."""
    now_ms = now.timestamp() * 1000
    for _ in range(_ROUNDS):
        state = await gate.read(item_id)
        async with runtime.db.session(write=False) as db:
            item, attempts, buyers = await _database_view(db, item_id)
        wanted, in_flight, lost = _wanted(
            state, item, attempts, buyers, now_ms, grace_seconds * 1000
        )
        live_sum = sum(quantity for _, _, quantity, live in attempts if live)
        drift = 0 if state is None else state.stock - wanted.stock
        repaired = False
        if state is None or not _matches(state, wanted):
            repaired = await gate.replace(item_id, state.version if state else None, wanted)
            if not repaired:
                continue  # something moved meanwhile: read again
        return ItemCheck(
            item_id=item.id,
            session_id=item.session_id,
            flash_stock=item.flash_stock,
            redis_stock=None if state is None else state.stock,
            live_units=item.sold,
            attempt_units=live_sum,
            pending_units=in_flight,
            lost_units=lost,
            drift=drift,
            repaired=repaired,
        )
    raise RuntimeError(f"flash item {item_id} kept moving; reconcile again")


async def load_gate(db: AsyncSession, gate: FlashGate, item_id: int) -> None:
    """Load an item's keys from the database if they are missing (a no-op otherwise), read
    in ``db`` (the request's session: at a peak a second connection per request would run
    the pool dry)."""
    state = await gate.read(item_id)
    if state is not None:
        return
    item, attempts, buyers = await _database_view(db, item_id)
    wanted, _, _ = _wanted(None, item, attempts, buyers, 0, 0)
    await gate.replace(item_id, None, wanted)


async def running_item_ids(db: AsyncSession, now: datetime) -> list[int]:
    """Items of the sessions that have started and are not settled."""
    query = (
        select(FlashItem.id)
        .join(FlashSession, FlashSession.id == FlashItem.session_id)
        .where(FlashSession.status == SessionStatus.ACTIVE, FlashSession.starts_at <= now)
        .order_by(FlashItem.id)
    )
    return list(await db.scalars(query))


async def reconcile(
    runtime: Any,
    gate: FlashGate,
    now: datetime,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    writer: AsyncSession | None = None,
) -> list[ItemCheck]:
    """Check and repair every running item; the attempts Redis counted are copied into
    the database for the figures (in ``writer``'s transaction, or one of its own)."""
    async with runtime.db.session(write=False) as db:
        item_ids = await running_item_ids(db, now)
    checks = [await check_item(runtime, gate, item_id, now, grace_seconds) for item_id in item_ids]
    counts = {}
    for item_id in item_ids:
        state = await gate.read(item_id)
        if state is not None:
            counts[item_id] = state.attempts
    if counts and writer is not None:
        await _copy_attempts(writer, counts)
    elif counts:
        async with runtime.db.transaction() as db:
            await _copy_attempts(db, counts)
    return checks


async def _copy_attempts(db: AsyncSession, counts: dict[int, int]) -> None:
    for item_id, attempts in counts.items():
        await db.execute(
            update(FlashItem)
            .where(FlashItem.id == item_id, FlashItem.attempts < attempts)
            .values(attempts=attempts)
        )


async def check_database(db: AsyncSession, now: datetime) -> list[ItemCheck]:
    """Without Redis: each running item's sold equals the units of its live attempts."""
    checks = []
    for item_id in await running_item_ids(db, now):
        item, attempts, _ = await _database_view(db, item_id)
        live_sum = sum(quantity for _, _, quantity, live in attempts if live)
        checks.append(
            ItemCheck(
                item_id=item.id,
                session_id=item.session_id,
                flash_stock=item.flash_stock,
                redis_stock=None,
                live_units=item.sold,
                attempt_units=live_sum,
                pending_units=0,
                lost_units=0,
                drift=0,
                repaired=False,
            )
        )
    return checks


def describe(check: ItemCheck) -> str:
    """One line of ``weshop flashsale reconcile``'s report."""
    redis = "missing" if check.redis_stock is None else str(check.redis_stock)
    verdict = "repaired" if check.repaired else ("ok" if check.consistent else "MISMATCH")
    return (
        f"item {check.item_id} (session {check.session_id}): flash stock {check.flash_stock}, "
        f"live units {check.live_units} (attempts: {check.attempt_units}), in flight "
        f"{check.pending_units}, redis stock {redis}, drift {check.drift}, lost units given "
        f"back {check.lost_units}: {verdict}"
    )


async def run(runtime: Any, now: datetime, grace_seconds: float) -> list[ItemCheck]:
    """The command's work: with Redis, check and repair it; without, check the database."""
    gate = gate_of(runtime)
    if gate is None:
        async with runtime.db.session(write=False) as db:
            return await check_database(db, now)
    return await reconcile(runtime, gate, now, grace_seconds)
