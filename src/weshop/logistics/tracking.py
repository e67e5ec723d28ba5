"""Parcel tracking: the parcels a store ships, what their carriers report, and delivery.

- **Following a parcel.** ``orders`` calls :func:`track` for each package it ships, in the
  shipping transaction. A package whose carrier is known (``carriers.codes``) becomes a
  :class:`Parcel` (one per store, carrier and number) and an outbox message: the subscription
  to the provider's pushes is an HTTP call made after commit by :func:`subscribe`, retried by
  the worker until the provider accepts it.
- **Reports.** A push (verified by the provider's adapter: forged → 401, nothing written) or a
  query answer is applied by :func:`apply_report` to every store's parcel of that number:
  each event is stored once (unique on parcel and fingerprint), and the parcel's state follows
  a report only if that report is at least as new as what is stored, so a replayed or late
  push changes nothing.
- **Delivered (已签收).** The first report saying so sets ``delivered_at`` (the signing
  event's time) and announces :class:`ParcelDelivered` in the same transaction; orders
  moves its auto-confirm deadline. A delivered, returned or rejected parcel is followed no
  further.
- **Fallback.** A deadline re-queries a parcel that has not been heard of for
  ``WESHOP_PARCEL_RECHECK_HOURS``, until its journey ends or :data:`FOLLOW_FOR` has passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.errors import InvalidInput, NotFound, Unauthenticated
from weshop.core.events import announce
from weshop.core.outbox import emit
from weshop.logistics import tracking_repository as repo
from weshop.logistics.carriers.base import (
    FINAL_STATES,
    CarrierError,
    ParcelState,
    ParcelTracker,
    PushRejected,
    PushUnreadable,
    TrackingReport,
)
from weshop.logistics.carriers.codes import carrier_code, carrier_name
from weshop.logistics.events import ParcelDelivered
from weshop.logistics.models import Parcel

log = structlog.get_logger(__name__)

SUBSCRIBE = "logistics.parcel_subscribe"
RECHECK = "logistics.parcel_recheck"
PUSH_PATH = "/api/v1/logistics/push/{provider}"
# A parcel unheard of for this long after shipping is no longer asked about.
FOLLOW_FOR = timedelta(days=30)


@dataclass(frozen=True)
class EventView:
    at: datetime
    text: str
    area: str


@dataclass(frozen=True)
class ParcelView:
    carrier: str
    carrier_name: str
    tracking_no: str
    state: ParcelState
    delivered_at: datetime | None
    events: tuple[EventView, ...]  # newest first


async def track(session: AsyncSession, store_id: int, carrier: str, tracking_no: str) -> bool:
    """Follow a shipped package; False when its carrier is not one WeShop knows (the package
    is then shown as typed, untracked). Following a number twice is following it once."""
    code = carrier_code(carrier)
    if code is None:
        return False
    parcel_id = await repo.add_parcel(session, store_id, code, tracking_no)
    if parcel_id is not None:
        emit(
            session,
            SUBSCRIBE,
            {"parcel_id": parcel_id},
            store_id=store_id,
            dedupe_key=f"{SUBSCRIBE}:{parcel_id}",
        )
    return True


def callback_url(public_base_url: str, tracker: ParcelTracker) -> str:
    return public_base_url.rstrip("/") + PUSH_PATH.format(provider=tracker.name)


async def subscribe(
    session: AsyncSession,
    tracker: ParcelTracker | None,
    parcel_id: int,
    *,
    public_base_url: str,
    recheck_after: timedelta,
    now: datetime,
) -> None:
    """Ask the provider to push the parcel's tracking (raises CarrierError to be retried),
    then set the first re-check."""
    parcel = await session.get(Parcel, parcel_id)
    if tracker is None or parcel is None or parcel.subscribed_at is not None:
        return
    await tracker.subscribe(
        parcel.carrier, parcel.tracking_no, callback_url(public_base_url, tracker)
    )
    parcel.subscribed_at = now
    emit(
        session,
        RECHECK,
        {"parcel_id": parcel.id},
        due_at=now + recheck_after,
        store_id=parcel.store_id,
    )


async def recheck(
    session: AsyncSession,
    tracker: ParcelTracker | None,
    parcel_id: int,
    *,
    recheck_after: timedelta,
    now: datetime,
) -> None:
    """Query a parcel that has been quiet for ``recheck_after``; set the next re-check while
    its journey goes on. A provider that fails now is asked again at the next re-check."""
    parcel = await session.get(Parcel, parcel_id)
    if tracker is None or parcel is None or parcel.state in FINAL_STATES:
        return
    quiet_since = parcel.heard_at or parcel.subscribed_at or parcel.created_at
    if now - quiet_since >= recheck_after:
        try:
            report = await tracker.query(parcel.carrier, parcel.tracking_no)
        except CarrierError as exc:
            log.warning("parcel_query_failed", parcel_id=parcel.id, problem=str(exc))
        else:
            await apply_report(session, report, now)
            quiet_since = now
    if parcel.state in FINAL_STATES or now - parcel.created_at >= FOLLOW_FOR:
        return
    due = max(quiet_since + recheck_after, now + timedelta(minutes=1))
    emit(session, RECHECK, {"parcel_id": parcel.id}, due_at=due, store_id=parcel.store_id)


def _fingerprint(at: datetime, text: str) -> str:
    return hashlib.sha256(f"{at.isoformat()}|{text}".encode()).hexdigest()


async def apply_report(session: AsyncSession, report: TrackingReport, now: datetime) -> int:
    """Store a report on every store's parcel of its number; how many parcels it changed."""
    changed = 0
    newest = max((event.at for event in report.events), default=None)
    for parcel in await repo.parcels_to_update(session, report.carrier, report.tracking_no):
        added = await repo.add_events(
            session,
            [
                {
                    "parcel_id": parcel.id,
                    "store_id": parcel.store_id,
                    "happened_at": event.at,
                    "text": event.text,
                    "area": event.area,
                    "fingerprint": _fingerprint(event.at, event.text),
                }
                for event in report.events
            ],
        )
        moves = (
            parcel.delivered_at is None
            and newest is not None
            and (parcel.latest_event_at is None or newest >= parcel.latest_event_at)
            and (report.state != parcel.state or newest != parcel.latest_event_at)
        )
        if moves:
            parcel.state = report.state
            parcel.latest_event_at = newest
            if report.state == ParcelState.DELIVERED:
                parcel.delivered_at = min(newest, now)
                await announce(
                    session,
                    ParcelDelivered(
                        parcel.store_id, parcel.carrier, parcel.tracking_no, parcel.delivered_at
                    ),
                )
        if added or moves:
            parcel.heard_at = now
            changed += 1
    return changed


async def receive_push(
    session: AsyncSession,
    tracker: ParcelTracker | None,
    provider: str,
    form: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    """A provider's push: verified (forged: 401 ``push_signature_invalid``, nothing
    written), applied, and answered as the provider expects. A push about a number no store
    follows is acknowledged and dropped."""
    if tracker is None or tracker.name != provider:
        raise NotFound(
            f"no parcel tracker named {provider!r} is configured",
            code="parcel_tracker_unavailable",
        )
    try:
        push = tracker.read_push(form)
    except PushUnreadable as exc:
        raise InvalidInput(str(exc), code="push_unreadable") from None
    except PushRejected as exc:
        raise Unauthenticated(str(exc), code="push_signature_invalid") from None
    await apply_report(session, push.report, now)
    return push.answer


async def parcels(
    session: AsyncSession, store_id: int, packages: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], ParcelView]:
    """The store's parcels of these packages (carrier as typed, tracking number) with their
    events, keyed as asked; a package not followed is absent."""
    asked = {(carrier, number): carrier_code(carrier) for carrier, number in packages}
    rows = await repo.parcels_of(
        session, store_id, [(code, number) for (_, number), code in asked.items() if code]
    )
    events: dict[int, list[EventView]] = {row.id: [] for row in rows}
    for event in await repo.events_of(session, events):
        events[event.parcel_id].append(EventView(event.happened_at, event.text, event.area))
    by_number = {
        (row.carrier, row.tracking_no): ParcelView(
            carrier=row.carrier,
            carrier_name=carrier_name(row.carrier),
            tracking_no=row.tracking_no,
            state=row.state,
            delivered_at=row.delivered_at,
            events=tuple(events[row.id]),
        )
        for row in rows
    }
    return {
        key: by_number[(code, key[1])]
        for key, code in asked.items()
        if code and (code, key[1]) in by_number
    }
