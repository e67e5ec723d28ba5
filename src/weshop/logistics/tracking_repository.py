"""Parcel and tracking-event queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.logistics.models import Parcel, ParcelEvent


async def add_parcel(
    session: AsyncSession, store_id: int, carrier: str, tracking_no: str
) -> int | None:
    """A new parcel's id, or None when the store follows this number already (or a concurrent
    transaction is adding it)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return await session.scalar(
        insert(Parcel)
        .values(store_id=store_id, carrier=carrier, tracking_no=tracking_no)
        .on_conflict_do_nothing(index_elements=["store_id", "carrier", "tracking_no"])
        .returning(Parcel.id)
    )


async def parcels_to_update(session: AsyncSession, carrier: str, tracking_no: str) -> list[Parcel]:
    """Every store's parcel of this number, locked until the transaction ends."""
    rows = await session.scalars(
        select(Parcel)
        .where(Parcel.carrier == carrier, Parcel.tracking_no == tracking_no)
        .order_by(Parcel.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def add_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Store the events not stored yet; how many were new."""
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = await session.scalars(
        insert(ParcelEvent)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["parcel_id", "fingerprint"])
        .returning(ParcelEvent.id)
    )
    return len(list(added))


async def parcels_of(
    session: AsyncSession, store_id: int, numbers: Iterable[tuple[str, str]]
) -> list[Parcel]:
    wanted = list(set(numbers))
    if not wanted:
        return []
    rows = await session.scalars(
        select(Parcel).where(
            Parcel.store_id == store_id,
            tuple_(Parcel.carrier, Parcel.tracking_no).in_(wanted),
        )
    )
    return list(rows)


async def events_of(session: AsyncSession, parcel_ids: Iterable[int]) -> list[ParcelEvent]:
    """The parcels' events, newest first."""
    wanted = list(set(parcel_ids))
    if not wanted:
        return []
    rows = await session.scalars(
        select(ParcelEvent)
        .where(ParcelEvent.parcel_id.in_(wanted))
        .order_by(ParcelEvent.happened_at.desc(), ParcelEvent.id.desc())
    )
    return list(rows)
