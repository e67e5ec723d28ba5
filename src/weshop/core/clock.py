"""The current time, always timezone-aware UTC, China's time zone, and the range of moments
and days WeShop accepts as input.

Every date or time a client sends goes through ``Moment`` or ``Day``: a value outside
2000-01-01 .. 2100-12-31 is refused at the edge, so nothing downstream (an offset added for
China time, a window computed from it) can overflow Python's calendar, which ends in 9999.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

# China Standard Time (no daylight saving): business days, what people read on the pages,
# WeChat Pay's protocol times.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
EARLIEST_MOMENT = datetime.combine(EARLIEST_DAY, time.min, UTC)
LATEST_MOMENT = datetime.combine(LATEST_DAY, time.max, UTC)
OUT_OF_RANGE = "datetime_out_of_range"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def utcnow() -> datetime:
    return datetime.now(UTC)


def within_range(moment: datetime) -> bool:
    """Whether an aware moment lies in the accepted range (compared without converting it,
    which could itself overflow at the ends of the calendar)."""
    return EARLIEST_MOMENT <= moment <= LATEST_MOMENT


def _moment_in_range(moment: datetime) -> datetime:
    if not within_range(moment):
        raise PydanticCustomError(
            OUT_OF_RANGE,
            "must lie between {earliest} and {latest}",
            {"earliest": EARLIEST_MOMENT.isoformat(), "latest": LATEST_MOMENT.isoformat()},
        )
    return moment.astimezone(UTC)


def _written_as_a_day(value: object) -> object:
    # Pydantic would also read `0` or `1700000000` as a Unix time; a day is written as one.
    if isinstance(value, int | float) or (isinstance(value, str) and not _ISO_DAY.fullmatch(value)):
        raise PydanticCustomError("day_format", "a day is written YYYY-MM-DD")
    return value


def _day_in_range(day: date) -> date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise PydanticCustomError(
            OUT_OF_RANGE,
            "must lie between {earliest} and {latest}",
            {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
        )
    return day


Moment = Annotated[
    AwareDatetime,
    AfterValidator(_moment_in_range),
    Field(
        description="ISO 8601 with its time zone (e.g. 2030-01-31T23:59:59+08:00), "
        "between 2000-01-01 and 2100-12-31 UTC; kept in UTC.",
    ),
]
Day = Annotated[
    date,
    BeforeValidator(_written_as_a_day),
    AfterValidator(_day_in_range),
    Field(description="A day (e.g. 2030-01-31), between 2000-01-01 and 2100-12-31."),
]
