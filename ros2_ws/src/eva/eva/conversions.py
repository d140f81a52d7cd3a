"""Messages <-> numpy, in one place, so nodes stay thin.

Joint vectors always travel by name (sensor_msgs/JointState, trajectory_msgs/JointTrajectory): a
message is mapped onto the embodiment's 14 names and a message missing any of them is refused, never
filled with zeros (a zero command would swing the arm to its zero pose). Images are rgb8 (bgr8 is
accepted and converted). Stamps are float seconds on the ROS clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from builtin_interfaces.msg import Duration, Time
from sensor_msgs.msg import Image, JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from eva_interfaces.msg import SafetyReport


class MessageError(ValueError):
    """A message that cannot be converted (missing joint names, wrong image encoding or size)."""


# ---------------------------------------------------------------------------------------------- time


def to_seconds(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def to_time(seconds: float) -> Time:
    sec = math.floor(seconds)
    return Time(sec=int(sec), nanosec=min(int(round((seconds - sec) * 1e9)), 999_999_999))


def to_duration(seconds: float) -> Duration:
    sec = math.floor(seconds)
    return Duration(sec=int(sec), nanosec=min(int(round((seconds - sec) * 1e9)), 999_999_999))


# -------------------------------------------------------------------------------------------- images


def image_msg(frame: np.ndarray, stamp_s: float, frame_id: str) -> Image:
    """An rgb8 Image from a uint8 [H, W, 3] array."""
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise MessageError(f"expected an RGB frame [H, W, 3], got shape {frame.shape}")
    h, w, _ = frame.shape
    msg = Image(height=h, width=w, encoding="rgb8", is_bigendian=0, step=3 * w)
    msg.header.stamp = to_time(stamp_s)
    msg.header.frame_id = frame_id
    msg.data = frame.tobytes()
    return msg


def image_array(msg: Image) -> np.ndarray:
    """uint8 [H, W, 3] RGB from an rgb8 or bgr8 Image (rows may be padded: `step` is honoured)."""
    if msg.encoding not in ("rgb8", "bgr8"):
        raise MessageError(f"image encoding {msg.encoding!r} not supported (rgb8, bgr8)")
    h, w, step = msg.height, msg.width, msg.step
    buffer = np.frombuffer(bytes(msg.data) if not isinstance(msg.data, (bytes, bytearray, memoryview, np.ndarray)) else msg.data, dtype=np.uint8)
    if step < 3 * w or buffer.size < h * step:
        raise MessageError(f"image data of {buffer.size} bytes does not hold {h}x{w} rgb with step {step}")
    frame = buffer[: h * step].reshape(h, step)[:, : 3 * w].reshape(h, w, 3)
    if msg.encoding == "bgr8":
        frame = frame[:, :, ::-1]
    return np.array(frame)  # own the memory: the message buffer may be reused


# -------------------------------------------------------------------------------------------- joints


def joint_vector(names: Sequence[str], values: Sequence[float], order: Sequence[str], what: str = "message") -> np.ndarray:
    """`values` given for `names`, reordered to `order`; every name of `order` must be present."""
    if len(names) != len(values):
        raise MessageError(f"{what}: {len(names)} names but {len(values)} values")
    index = {n: i for i, n in enumerate(names)}
    missing = [n for n in order if n not in index]
    if missing:
        raise MessageError(f"{what}: missing joints {', '.join(missing)}")
    return np.array([values[index[n]] for n in order], dtype=np.float64)


def joint_state_msg(order: Sequence[str], position: np.ndarray, stamp_s: float, velocity: np.ndarray | None = None) -> JointState:
    msg = JointState(name=list(order), position=[float(x) for x in position])
    if velocity is not None:
        msg.velocity = [float(x) for x in velocity]
    msg.header.stamp = to_time(stamp_s)
    return msg


def joint_state_position(msg: JointState, order: Sequence[str]) -> np.ndarray:
    return joint_vector(msg.name, msg.position, order, "JointState")


def joint_state_velocity(msg: JointState, order: Sequence[str]) -> np.ndarray | None:
    if len(msg.velocity) == 0:
        return None
    return joint_vector(msg.name, msg.velocity, order, "JointState velocity")


# -------------------------------------------------------------------------------------- trajectories


def trajectory_msg(order: Sequence[str], positions: np.ndarray, dt: float, stamp_s: float) -> JointTrajectory:
    """One point per row of `positions` [T, D], `dt` apart, starting at time_from_start 0."""
    msg = JointTrajectory(joint_names=list(order))
    msg.header.stamp = to_time(stamp_s)
    msg.points = [JointTrajectoryPoint(positions=[float(x) for x in row], time_from_start=to_duration(i * dt)) for i, row in enumerate(positions)]
    return msg


def trajectory_positions(msg: JointTrajectory, order: Sequence[str]) -> np.ndarray:
    """[T, D] in `order` from a trajectory given by name; an empty trajectory gives [0, D]."""
    rows = [joint_vector(msg.joint_names, p.positions, order, "JointTrajectory point") for p in msg.points]
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(order))


# ---------------------------------------------------------------------------------------- reports

_NAN = float("nan")


def safety_report_msg(report: Mapping | None) -> SafetyReport:
    """From `PlanReport.to_dict()`; None gives an empty (unfiltered) report."""
    if report is None:
        return SafetyReport(verdict="", returned="none", steps_changed=-1, max_deviation=_NAN, first_step_deviation=_NAN, min_arm_distance_m=_NAN)

    def number(key: str) -> float:
        value = report.get(key)
        return _NAN if value is None else float(value)

    changed = report.get("steps_changed")
    return SafetyReport(
        verdict=str(report["verdict"]),
        reasons=[str(r) for r in report.get("reasons", ())],
        returned=str(report.get("returned", "none")),
        steps=int(report.get("steps", 0)),
        steps_changed=-1 if changed is None else int(changed),
        max_deviation=number("max_deviation"),
        first_step_deviation=number("first_step_deviation"),
        min_arm_distance_m=number("min_arm_distance_m"),
    )


def safety_report_dict(msg: SafetyReport) -> dict | None:
    if not msg.verdict:
        return None
    nan_none = lambda x: None if math.isnan(x) else float(x)  # noqa: E731
    return {
        "verdict": msg.verdict,
        "reasons": list(msg.reasons),
        "returned": msg.returned,
        "steps": int(msg.steps),
        "steps_changed": None if msg.steps_changed < 0 else int(msg.steps_changed),
        "max_deviation": nan_none(msg.max_deviation),
        "first_step_deviation": nan_none(msg.first_step_deviation),
        "min_arm_distance_m": nan_none(msg.min_arm_distance_m),
    }
