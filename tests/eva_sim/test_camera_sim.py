"""The `sim` camera through the generic camera factory: renders the twin the `sim` arms drive."""

import time

import numpy as np
import pytest

from eva_core.devices.arms import arm_config_from_dict, make_bimanual
from eva_core.devices.cameras import StaleFrameError, camera_config_from_dict, make_camera
from eva_core.embodiment import load_embodiment

EMBODIMENT = load_embodiment()


def test_sim_camera_is_built_from_a_config_string_and_sees_the_arms_move():
    config = camera_config_from_dict({"type": "sim", "camera": "cam_high", "width": 160, "height": 120, "twin": "camera-test"})
    arms = make_bimanual(
        {arm: arm_config_from_dict({"type": "sim", "twin": "camera-test", "real_time": False}) for arm in EMBODIMENT.arm_names},
        EMBODIMENT,
    )
    camera = make_camera(config, "cam_high")
    arms.connect()
    try:
        with camera:
            first = camera.read_latest(max_age_s=0.5)
            assert first.image.shape == (120, 160, 3) and first.image.std() > 10
            assert abs(first.host_time_s - time.time()) < 0.5
            twin = arms.arms["left"].twin
            pose = EMBODIMENT.ready_pose()
            pose[0] += 0.5  # turn the left arm's base
            with twin.lock:
                twin.robot.set_state_kinematic(pose)
            second = camera.read_latest(max_age_s=0.5)
            assert second.frame_number > first.frame_number
            assert np.abs(second.image.astype(int) - first.image.astype(int)).max() > 50
    finally:
        arms.disconnect()


def test_a_frozen_sim_camera_goes_stale():
    camera = make_camera(camera_config_from_dict({"type": "sim", "width": 64, "height": 48, "twin": "freeze-test"}), "cam_high")
    with camera:
        camera.freeze()
        time.sleep(0.06)
        with pytest.raises(StaleFrameError):
            camera.read_latest(max_age_s=0.05)
        camera.freeze(False)
        assert camera.read_latest(max_age_s=0.05).image.shape == (48, 64, 3)


def test_unknown_camera_name_is_a_config_error_naming_the_field():
    from eva_core.config import ConfigError

    with pytest.raises(ConfigError, match="cam_top"):
        camera_config_from_dict({"type": "sim", "camera": "cam_top"}, key="cameras.cam_high")
