"""The MuJoCo twin: geometry in the SDK convention, servo tracking, gripper, cameras, snapshots."""

import mujoco
import numpy as np
import pytest

from eva_core.embodiment import load_embodiment
from eva_core.embodiment.kinematics import link_frames
from eva_sim.config import CAMERA_NAMES, SimConfig
from eva_sim.model import frame_site_names
from eva_sim.robot import SimRobot

EMBODIMENT = load_embodiment()
LIMITS = EMBODIMENT.limits


@pytest.fixture(scope="module")
def twin():
    with SimRobot(EMBODIMENT, SimConfig().with_resolution(160, 120)) as robot:
        yield robot


def random_pose(rng, margin=0.1):
    low, high = LIMITS.position_min + margin, LIMITS.position_max - margin
    q = rng.uniform(low, high)
    q[list(EMBODIMENT.gripper_indices)] = rng.uniform(0, 1, 2)
    return q


def test_frames_match_the_sdk_forward_kinematics_for_both_arms(twin):
    rng = np.random.default_rng(3)
    for _ in range(10):
        q = random_pose(rng, margin=0.0)
        twin.set_state_kinematic(q)
        for mount in EMBODIMENT.mounts:
            arm_q = q[EMBODIMENT.arm_slice(mount.name)][:6]
            expected = link_frames(EMBODIMENT.arm.kinematics, arm_q, base=mount.transform())
            for index, site in enumerate(frame_site_names(mount.name)):
                np.testing.assert_allclose(twin.data.site(site).xpos, expected[index, :3, 3], atol=1e-6, err_msg=site)


def test_joints_track_a_step_command_at_the_firmware_speed_without_leaving_the_limits(twin):
    start = EMBODIMENT.ready_pose()
    twin.reset(start)
    target = start.copy()
    target[[0, 7]] += [0.4, -0.4]
    target[[3, 10]] += 0.5
    twin.command(target)
    seen = []
    for _ in range(300):  # 1.5 s at 200 Hz
        seen.append(twin.step())
    seen = np.array(seen)
    assert np.all(seen[:, ~LIMITS.is_gripper] >= LIMITS.position_min[~LIMITS.is_gripper] - 1e-3)
    assert np.all(seen[:, ~LIMITS.is_gripper] <= LIMITS.position_max[~LIMITS.is_gripper] + 1e-3)
    np.testing.assert_allclose(seen[-1, ~LIMITS.is_gripper], target[~LIMITS.is_gripper], atol=0.01)
    # The set-point moves no faster than velocity_max, so 0.4 rad on J1 takes at least 0.4/2.67 s.
    half_way = np.argmax(np.abs(seen[:, 0] - start[0]) > 0.2)
    assert half_way * EMBODIMENT.control_dt >= 0.2 / LIMITS.velocity_max[0] * 0.9


def test_gripper_opening_maps_to_finger_separation(twin):
    for opening in (0.0, 1.0, 0.5):
        pose = EMBODIMENT.ready_pose()
        pose[list(EMBODIMENT.gripper_indices)] = opening
        twin.reset(pose)
        twin.step(duration_s=0.5)
        state = twin.state()
        np.testing.assert_allclose(state[list(EMBODIMENT.gripper_indices)], opening, atol=0.02)
        fingers = [twin.data.joint(f"left_finger{i}").qpos[0] for i in (1, 2)]
        assert sum(fingers) == pytest.approx(opening * EMBODIMENT.arm.gripper.opening_max_m, abs=0.0015)


def test_commands_outside_the_limits_are_clipped_and_non_finite_ones_refused(twin):
    twin.reset(EMBODIMENT.ready_pose())
    accepted = twin.command(np.full(14, 10.0))
    np.testing.assert_array_equal(accepted, LIMITS.position_max)
    with pytest.raises(ValueError, match="non-finite"):
        twin.command(np.full(14, np.nan))


def test_every_camera_renders_the_scene(twin):
    twin.reset(EMBODIMENT.ready_pose())
    images = twin.render_all()
    assert set(images) == set(CAMERA_NAMES)
    for name, image in images.items():
        assert image.shape == (120, 160, 3) and image.dtype == np.uint8, name
        assert image.std() > 10, f"{name} looks blank"


@pytest.mark.parametrize("dim", range(14))
def test_every_joint_and_gripper_is_visible_from_cam_high(twin, dim):
    """A 0.05 rad turn of any single joint (0.05 of a gripper's range) changes the cam_high image:
    the IDM decodes joint angles from these pixels, so none may be invisible (e.g. a symmetric link
    rolling about its own axis)."""
    pose = EMBODIMENT.ready_pose()
    twin.set_state_kinematic(pose)
    before = twin.render("cam_high").astype(np.int16)
    moved = pose.copy()
    moved[dim] += 0.05 if moved[dim] + 0.05 <= LIMITS.position_max[dim] else -0.05
    twin.set_state_kinematic(moved)
    after = twin.render("cam_high").astype(np.int16)
    changed = np.count_nonzero(np.abs(after - before).max(axis=2) > 20)
    assert changed >= 3, f"{EMBODIMENT.joint_names[dim]}: only {changed} pixels changed"


def test_snapshot_restore_and_fork_reproduce_the_future(twin):
    twin.reset(EMBODIMENT.ready_pose())
    target = EMBODIMENT.ready_pose()
    target[[1, 8]] += 0.3
    twin.command(target)
    twin.step(40)
    saved = twin.snapshot()
    first = twin.step(60).copy()
    twin.restore(saved)
    again = twin.step(60)
    np.testing.assert_array_equal(first, again)
    twin.restore(saved)
    other = twin.fork()
    np.testing.assert_array_equal(other.step(60), first)
    other.close()


def test_physics_state_is_finite_after_a_long_random_motion(twin):
    rng = np.random.default_rng(0)
    twin.reset(EMBODIMENT.ready_pose())
    for _ in range(5):
        twin.command(random_pose(rng, margin=0.3))
        twin.step(duration_s=0.5)
    assert np.all(np.isfinite(twin.data.qpos)) and twin.data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number == 0


def test_eva_sim_view_renders_a_task_scene_to_png(tmp_path, capsys):
    from eva_core.cli.main import main

    out = tmp_path / "scene.png"
    code = main(["sim", "view", "--task", "pick_place_bowl", "--resolution", "160x120", "--camera", "all", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    import av  # PyAV reads PNG through FFmpeg's image decoder

    with av.open(str(out)) as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert image.shape == (120, 480, 3) and image.std() > 10
    assert "task pick_place_bowl" in capsys.readouterr().out
