"""Image helpers of the run recorder: checking frames, sizing them for H.264, and the side-by-side
panels of `plan_vs_robot.mp4`. numpy and OpenCV only."""

from __future__ import annotations

import cv2
import numpy as np

MAX_PANEL_HEIGHT = 480  # px; taller plan frames are scaled down (the comparison is for viewing)
_LABEL_MIN_HEIGHT = 64  # px; smaller panels get no text (it would cover the picture)
_SEPARATOR = 2  # px of dark grey between the panels

# Colour of the bar under the robot panel (RGB).
BAR_EXECUTING = (40, 200, 60)  # the plan was running on the robot at this frame
BAR_NOT_EXECUTING = (220, 50, 40)  # the plan was rejected or never ran: the robot did something else
BAR_AFTER = (120, 120, 120)  # past the plan's window (the next plan had started, or the episode ended)
_MISSING_GREY = 60


def as_rgb(frame: object) -> tuple[np.ndarray | None, str | None]:
    """`(rgb uint8 [H, W, 3], None)`, or `(None, why)` when `frame` cannot be one.

    Accepted besides RGB: grey `[H, W]` / `[H, W, 1]` (repeated) and RGBA (alpha dropped)."""
    array = np.asarray(frame)
    if array.dtype != np.uint8:
        return None, f"dtype {array.dtype}, expected uint8"
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[0] < 1 or array.shape[1] < 1:
        return None, f"shape {array.shape}, expected [H, W, 3]"
    channels = array.shape[2]
    if channels == 1:
        return np.repeat(array, 3, axis=2), None
    if channels == 4:
        return np.ascontiguousarray(array[:, :, :3]), None
    if channels != 3:
        return None, f"shape {array.shape}, expected [H, W, 3]"
    return array, None


def even(n: int) -> int:
    """`n` rounded up to an even number (yuv420p H.264 needs even sizes)."""
    return n + (n % 2)


def pad_even(frame: np.ndarray) -> np.ndarray:
    """Repeat the last row/column where the height/width is odd; the decoded frame is then cropped back."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def resize(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    if frame.shape[:2] == (height, width):
        return frame
    shrinking = height * width < frame.shape[0] * frame.shape[1]
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def panel_height(plan_height: int) -> int:
    """Height of the comparison video: the plan's own, capped at MAX_PANEL_HEIGHT, even."""
    return max(2, min(even(plan_height), MAX_PANEL_HEIGHT))


def width_at(height: int, source_height: int, source_width: int) -> int:
    """The even width that keeps the source's aspect ratio at `height`."""
    return max(2, even(round(source_width * height / max(source_height, 1))))


def missing_panel(height: int, width: int, text: str) -> np.ndarray:
    panel = np.full((height, width, 3), _MISSING_GREY, np.uint8)
    label(panel, text)
    return panel


def label(panel: np.ndarray, text: str) -> None:
    """Write `text` in the top-left corner of `panel` (in place), on panels tall enough for it."""
    h = panel.shape[0]
    if h < _LABEL_MIN_HEIGHT or not text:
        return
    scale = max(0.35, h / 480)
    thickness = max(1, round(scale))
    origin = (4, 4 + round(14 * scale))
    cv2.putText(panel, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(panel, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)


def bar(panel: np.ndarray, colour: tuple[int, int, int]) -> None:
    """Colour the bottom rows of `panel` (in place): what the robot was doing at this frame."""
    rows = max(1, panel.shape[0] // 30)
    panel[-rows:] = colour


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """`[left | separator | right]`, both already `height` tall; the total width is even."""
    h = left.shape[0]
    gap = _SEPARATOR + (left.shape[1] + _SEPARATOR + right.shape[1]) % 2
    separator = np.full((h, gap, 3), 30, np.uint8)
    return np.concatenate([left, separator, right], axis=1)


def dim(frame: np.ndarray) -> np.ndarray:
    return (frame.astype(np.uint16) * 2 // 5).astype(np.uint8)
