"""The state machines of reviews and of reports to the platform."""

from __future__ import annotations

from weshop.core.state import StateMachine
from weshop.reviews.models import ReportStatus, ReviewStatus

REVIEW = StateMachine(
    "review",
    {(ReviewStatus.VISIBLE, "hide"): ReviewStatus.HIDDEN},
)

REPORT = StateMachine(
    "review report",
    {
        (ReportStatus.OPEN, "uphold"): ReportStatus.UPHELD,
        (ReportStatus.OPEN, "dismiss"): ReportStatus.DISMISSED,
    },
)
