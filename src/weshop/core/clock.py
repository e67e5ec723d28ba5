"""The current time, always timezone-aware UTC, and China's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# China Standard Time (no daylight saving): business days, what people read on the pages,
# WeChat Pay's protocol times.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)
