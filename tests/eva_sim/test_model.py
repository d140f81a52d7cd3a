"""The generated MJCF: it compiles, its frames are the SDK's kinematics, its limits the embodiment's."""

import warnings
from dataclasses import replace

import mujoco
import numpy as np
import pytest

from eva_core.config import ConfigError
from eva_core.embodiment import Mount
from eva_core.embodiment.kinematics import link_frames
from eva_sim.config import CameraConfig, SimConfig
from eva_sim.model import (
    add_mjcf,
    add_object,
    build_spec,
    compile_model,
    finger_joint_names,
    frame_site_names,
    gripper_actuator_name,
    joint_names,
)


@pytest.fixture(scope="module")
def model(embodiment):
    return compile_model(build_spec(embodiment))


def test_compiles_with_the_platform_names(model, embodiment):
    assert model.nu == 14  # 12 joint servos + 2 grippers
    assert {model.camera(i).name for i in range(model.ncam)} == {"cam_high", "cam_left_wrist", "cam_right_wrist"}
    for arm in ("left", "right"):
        for name in joint_names(embodiment, arm) + finger_joint_names(arm):
            model.joint(name)
        model.actuator(gripper_actuator_name(embodiment, arm))
    assert model.opt.timestep == pytest.approx(embodiment.control_dt / SimConfig().substeps)
    assert model.vis.quality.shadowsize == 0 and model.vis.quality.offsamples == 0


def test_limits_come_from_the_embodiment(model, embodiment):
    travel = embodiment.arm.gripper.opening_max_m / 2
    for arm in ("left", "right"):
        for spec, name in zip(embodiment.arm.joints, joint_names(embodiment, arm)):
            assert tuple(model.joint(name).range) == (spec.position_min, spec.position_max)
            assert tuple(model.actuator(name).ctrlrange) == (spec.position_min, spec.position_max)
        for name in finger_joint_names(arm):
            assert tuple(model.joint(name).range) == pytest.approx((0.0, travel))


def _frames_agree(embodiment, model, n_poses, seed):
    data = mujoco.MjData(model)
    rng = np.random.default_rng(seed)
    lo = np.array([j.position_min for j in embodiment.arm.joints])
    hi = np.array([j.position_max for j in embodiment.arm.joints])
    for _ in range(n_poses):
        poses = {}
        for mount in embodiment.mounts:
            q = rng.uniform(lo, hi)
            poses[mount.name] = q
            for name, value in zip(joint_names(embodiment, mount.name), q):
                data.joint(name).qpos[0] = value
        mujoco.mj_forward(model, data)
        for mount in embodiment.mounts:
            expected = link_frames(embodiment.arm.kinematics, poses[mount.name], base=mount.transform())
            for k, site in enumerate(frame_site_names(mount.name)):
                np.testing.assert_allclose(data.site(site).xpos, expected[k, :3, 3], atol=1e-6, err_msg=site)
                np.testing.assert_allclose(data.site(site).xmat.reshape(3, 3), expected[k, :3, :3], atol=1e-6, err_msg=site)


def test_frames_and_orientations_follow_rotated_mounts(embodiment):
    """Positions and orientations of every frame equal eva_core's FK, also for tilted, turned mounts
    (test_twin checks the positions for the platform's own mounts)."""
    mounts = (
        Mount("left", (0.05, 0.32, 0.01), (0.1, -0.2, 0.7)),
        Mount("right", (-0.02, -0.28, 0.0), (0.0, 0.3, -2.5)),
    )
    tilted = replace(embodiment, mounts=mounts)
    _frames_agree(tilted, compile_model(build_spec(tilted)), n_poses=5, seed=1)


def test_objects_can_be_added_and_rest_on_the_table(embodiment):
    spec = build_spec(embodiment)
    add_object(spec, "cube", shape="box", size=(0.02, 0.02, 0.02), pos=(0.4, 0.0, 0.1))
    add_mjcf(spec, '<body name="ball" pos="0.4 0.2 0.1"><freejoint/><geom type="sphere" size="0.03" mass="0.05"/></body>')
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # attaching the fragment must not make every compile warn
        model = compile_model(spec)
    data = mujoco.MjData(model)
    mujoco.mj_step(model, data, nstep=400)  # 1 s
    assert data.body("cube").xpos[2] == pytest.approx(0.02, abs=2e-3)
    assert data.body("ball").xpos[2] == pytest.approx(0.03, abs=2e-3)
    assert data.site("cube").xpos[2] == pytest.approx(0.02, abs=2e-3)


def test_bad_fragments_and_shapes_are_refused(embodiment):
    spec = build_spec(embodiment)
    with pytest.raises(ValueError, match="shape"):
        add_object(spec, "x", shape="cone", size=(0.1,), pos=(0, 0, 0))
    with pytest.raises(ValueError, match="MJCF"):
        add_mjcf(spec, "<body><geom type='nonsense'/></body>")


def test_config_rejects_bad_values():
    with pytest.raises(ConfigError, match="substeps"):
        SimConfig(substeps=0)
    with pytest.raises(ConfigError, match="joint_kp"):
        SimConfig(joint_kp=(1.0,) * 5)
    with pytest.raises(ConfigError, match="name"):
        CameraConfig("cam_low")
    with pytest.raises(ConfigError, match="width"):
        CameraConfig("cam_high", 0, 240)


def _arm_contacts(model, data) -> tuple[set[str], set[str]]:
    """(arm-arm contact pairs, same-arm contact pairs) as "geom|geom" names."""
    between, within = set(), set()
    for contact in data.contact[: data.ncon]:
        a, b = model.geom(contact.geom1).name, model.geom(contact.geom2).name
        arms = {a.split("_", 1)[0], b.split("_", 1)[0]}
        if arms == {"left", "right"}:
            between.add(f"{a}|{b}")
        elif len(arms) == 1 and arms <= {"left", "right"}:
            within.add(f"{a}|{b}")
    return between, within


def test_the_arms_collide_with_each_other_but_not_with_themselves(model, embodiment):
    data = mujoco.MjData(model)
    ready = embodiment.ready_pose()[:6]
    for arm in ("left", "right"):
        for name, q in zip(joint_names(embodiment, arm), ready):
            data.joint(name).qpos[0] = q
    mujoco.mj_forward(model, data)
    between, within = _arm_contacts(model, data)
    assert not between and not within  # side by side, 60 cm apart; the shapes of one arm overlap at its joints
    data.joint(joint_names(embodiment, "left")[0]).qpos[0] = -1.2  # both arms turned towards each other:
    data.joint(joint_names(embodiment, "right")[0]).qpos[0] = 1.2  # the grippers meet in the middle
    mujoco.mj_forward(model, data)
    between, within = _arm_contacts(model, data)
    assert between and not within
