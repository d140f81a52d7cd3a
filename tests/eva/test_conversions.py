"""Messages <-> numpy: joints by name (never zero-filled), images with padded rows and bgr, stamps."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("eva_interfaces")

from eva.conversions import (  # noqa: E402
    MessageError,
    image_array,
    image_msg,
    joint_state_msg,
    joint_state_position,
    safety_report_dict,
    safety_report_msg,
    to_seconds,
    to_time,
    trajectory_msg,
    trajectory_positions,
)
from eva_core.embodiment import load_embodiment  # noqa: E402

NAMES = list(load_embodiment().joint_names)


def test_joint_state_is_reordered_by_name_and_missing_names_are_refused():
    q = np.arange(14, dtype=float)
    msg = joint_state_msg(NAMES, q, 12.5)
    msg.name, msg.position = list(reversed(msg.name)), list(reversed(msg.position))
    np.testing.assert_array_equal(joint_state_position(msg, NAMES), q)
    msg.name, msg.position = msg.name[1:], msg.position[1:]
    with pytest.raises(MessageError, match="missing joints"):
        joint_state_position(msg, NAMES)


def test_image_round_trip_padded_rows_and_bgr():
    frame = np.random.default_rng(0).integers(0, 255, (6, 5, 3), dtype=np.uint8)
    msg = image_msg(frame, 3.25, "cam_high")
    np.testing.assert_array_equal(image_array(msg), frame)
    assert msg.header.frame_id == "cam_high" and to_seconds(msg.header.stamp) == pytest.approx(3.25)
    padded = np.zeros((6, 20), dtype=np.uint8)
    padded[:, :15] = frame.reshape(6, 15)
    msg.step, msg.data = 20, padded.tobytes()
    np.testing.assert_array_equal(image_array(msg), frame)
    msg.encoding, msg.step, msg.data = "bgr8", 15, frame[:, :, ::-1].tobytes()
    np.testing.assert_array_equal(image_array(msg), frame)
    msg.encoding = "mono16"
    with pytest.raises(MessageError, match="mono16"):
        image_array(msg)


def test_trajectory_and_safety_report_round_trip():
    plan = np.random.default_rng(1).normal(size=(49, 14))
    msg = trajectory_msg(NAMES, plan, 1 / 16, 100.0)
    np.testing.assert_allclose(trajectory_positions(msg, NAMES), plan)
    assert to_seconds(msg.points[16].time_from_start) == pytest.approx(1.0)
    report = {"verdict": "reject", "reasons": ["too_many_changes"], "returned": "hold", "steps": 49, "steps_changed": 30,
              "max_deviation": 0.2, "first_step_deviation": None, "min_arm_distance_m": 0.3}
    assert safety_report_dict(safety_report_msg(report)) == report
    assert safety_report_dict(safety_report_msg(None)) is None


def test_time_conversion_keeps_nanoseconds():
    assert to_seconds(to_time(1795333266.123456789)) == pytest.approx(1795333266.123456789, abs=1e-6)
