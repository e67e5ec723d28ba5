"""The cut algorithm of bargaining (砍价): how much each friend's help takes off the price.

One pure function, :func:`cut_for`, decides the cut of the next counted help from three
numbers: the amount still between the current price and the floor (``remaining``), the counted
helps still to come including this one (``helps_left``), and the bargain's secret ``seed``
with the help's position (``index``, 0 for the first counted help).

- The last help (``helps_left == 1``) takes all that remains: the K-th counted help lands
  exactly on the floor.
- Any other help leaves at least 1 fen for each help after it, so it takes at most
  ``remaining - (helps_left - 1)``; and it takes at least 1 fen.
- The first help is the big one (what the apps do, so the starter sees progress and shares):
  between 30 % and 50 % of the amount, within the bounds above.
- Later helps draw uniformly from 1 to twice the fair share (``2 * remaining / helps_left``,
  the "double mean" of red envelopes), within the bounds above: random, yet the expected
  cut keeps pace with what is left.

The draw is deterministic (SHA-256 of seed and index), so a help can be recomputed and
tested, and a helper cannot fish for a bigger cut by retrying. A campaign whose
``start - floor`` is below K fen cannot give each help 1 fen and is refused
(:func:`check_cut_room`). With ``remaining >= helps_left`` on entry (true at the start and
kept by every cut), every sequence of counted helps sums to ``start - floor`` after K helps,
each cut is at least 1 fen, and the price never goes below the floor
(``tests/bargain/test_cuts.py`` proves it with hypothesis).

:func:`helps_needed` draws a bargain's own K from the campaign's range the same way.
"""

from __future__ import annotations

import hashlib

FIRST_CUT_MIN_PERCENT = 30
FIRST_CUT_MAX_PERCENT = 50


def _draw(seed: int, index: int, low: int, high: int) -> int:
    """A number in ``[low, high]`` fixed by ``seed`` and ``index``."""
    if high <= low:
        return low
    digest = hashlib.sha256(f"bargain:{seed}:{index}".encode()).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


def cut_for(remaining: int, helps_left: int, seed: int, index: int) -> int:
    """The cut in fen of the counted help number ``index`` (0-based) of a bargain.

    ``remaining``: current price minus floor; ``helps_left``: counted helps still needed,
    this one included. Needs ``remaining >= helps_left >= 1``; returns a cut in
    ``[1, remaining - (helps_left - 1)]``, all of ``remaining`` when ``helps_left == 1``.
    """
    if helps_left < 1:
        raise ValueError("no help is left to count")
    if remaining < helps_left:
        raise ValueError("each help left needs at least 1 fen to cut")
    if helps_left == 1:
        return remaining
    most = remaining - (helps_left - 1)
    if index == 0:
        low = max(1, remaining * FIRST_CUT_MIN_PERCENT // 100)
        high = max(low, remaining * FIRST_CUT_MAX_PERCENT // 100)
    else:
        low, high = 1, max(1, 2 * remaining // helps_left)
    low, high = min(low, most), min(high, most)
    return _draw(seed, index, low, high)


def helps_needed(seed: int, least: int, most: int) -> int:
    """A bargain's own K, drawn from the campaign's range ``[least, most]``."""
    return _draw(seed, -1, least, most)


def check_cut_room(start_fen: int, floor_fen: int, most_helps: int) -> bool:
    """Whether ``most_helps`` counted helps can each cut at least 1 fen."""
    return start_fen - floor_fen >= most_helps
