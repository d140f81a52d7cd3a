"""The last few frames of the plan camera, kept in time order, to condition the next plan on."""

from __future__ import annotations

import bisect
import math
from typing import Generic, TypeVar

Frame = TypeVar("Frame")


class FrameHistory(Generic[Frame]):
    """(stamp, frame) pairs, at most `capacity`, ordered by stamp (a late frame is put in its place).

    The frame is whatever the caller keeps (an image message, an array); stamps are seconds on the
    caller's clock. Pushing beyond the capacity drops the oldest frame.
    """

    def __init__(self, capacity: int):
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an integer >= 1, got {capacity!r}")
        self.capacity = capacity
        self._stamps: list[float] = []
        self._frames: list[Frame] = []

    def push(self, stamp_s: float, frame: Frame) -> None:
        """Add a frame taken at `stamp_s`. Raises ValueError for a stamp that is not a finite number.
        A frame older than every kept one when the history is full is dropped at once."""
        try:
            stamp = float(stamp_s)
        except (TypeError, ValueError):
            raise ValueError(f"frame stamp must be a number of seconds, got {stamp_s!r}") from None
        if not math.isfinite(stamp):
            raise ValueError(f"frame stamp must be finite, got {stamp_s!r}")
        index = bisect.bisect_right(self._stamps, stamp)  # equal stamps: in arrival order
        self._stamps.insert(index, stamp)
        self._frames.insert(index, frame)
        if len(self._stamps) > self.capacity:
            del self._stamps[0], self._frames[0]

    def latest(self, n: int) -> list[tuple[float, Frame]]:
        """The `n` most recent (stamp, frame) pairs, oldest first (fewer if fewer are kept)."""
        if n <= 0:
            return []
        return list(zip(self._stamps[-n:], self._frames[-n:]))

    @property
    def newest_stamp(self) -> float | None:
        """Stamp of the newest frame; None while empty."""
        return self._stamps[-1] if self._stamps else None

    def clear(self) -> None:
        self._stamps.clear()
        self._frames.clear()

    def __len__(self) -> int:
        return len(self._stamps)
