"""Single-arm (left): pick a cube up and drop it into a bowl."""

from __future__ import annotations

import mujoco
import numpy as np

from eva_sim.experts import GraspPose, MotionScript
from eva_sim.model import add_mjcf, add_object
from eva_sim.robot import SimRobot
from eva_sim.tasks.base import Task, body_position, body_yaw, set_free_pose, set_static_position, touching, arm_geoms

CUBE_HALF = 0.02  # m: a 4 cm cube, 50 g
BOWL_INNER_RADIUS = 0.066  # m, to the inside of the wall
BOWL_RIM_Z = 0.045  # m above the table: base 5 mm + wall 40 mm
BOWL_WALL_SEGMENTS = 12


def _bowl_mjcf() -> str:
    """A fixed bowl: a disc and a ring of wall boxes (MuJoCo has no concave primitive)."""
    wall_r, half_len = 0.07, 0.02
    walls = []
    for k in range(BOWL_WALL_SEGMENTS):
        angle = 2 * np.pi * k / BOWL_WALL_SEGMENTS
        walls.append(
            f'<geom name="bowl_wall{k}" type="box" size="0.004 {half_len} 0.02" '
            f'pos="{wall_r * np.cos(angle):.5f} {wall_r * np.sin(angle):.5f} 0.025" euler="0 0 {angle:.5f}" rgba="0.2 0.45 0.85 1"/>'
        )
    return (
        '<body name="bowl" pos="0.34 0.08 0">'
        '<geom name="bowl_base" type="cylinder" size="0.078 0.0025" pos="0 0 0.0025" rgba="0.2 0.45 0.85 1"/>'
        + "".join(walls)
        + '<site name="bowl" size="0.005" rgba="0 0 0 0"/></body>'
    )


class PickPlaceBowl(Task):
    name = "pick_place_bowl"
    instruction = "pick up the red cube and put it in the blue bowl"
    arms = ("left",)
    max_duration_s = 20.0

    def add_to_scene(self, spec: mujoco.MjSpec) -> None:
        add_object(spec, "cube", shape="box", size=(CUBE_HALF,) * 3, pos=(0.3, 0.3, CUBE_HALF), mass_kg=0.05, friction=(1.2, 0.01, 0.001), rgba=(0.85, 0.1, 0.1, 1))
        add_mjcf(spec, _bowl_mjcf())

    def reset(self, robot: SimRobot, rng: np.random.Generator) -> None:
        set_static_position(robot, "bowl", (rng.uniform(0.30, 0.38), rng.uniform(0.04, 0.11), 0.0))
        cube = (rng.uniform(0.25, 0.35), rng.uniform(0.26, 0.36), CUBE_HALF)
        set_free_pose(robot, "cube", cube, yaw=rng.uniform(-0.4, 0.4))

    def success(self, robot: SimRobot) -> bool:
        cube, bowl = body_position(robot, "cube"), body_position(robot, "bowl")
        inside = np.linalg.norm(cube[:2] - bowl[:2]) < BOWL_INNER_RADIUS and cube[2] < BOWL_RIM_Z
        return bool(inside and not touching(robot, arm_geoms(robot, "left"), "cube"))

    def expert(self, robot: SimRobot, rng: np.random.Generator):
        arm = "left"
        script = MotionScript(robot.embodiment, robot.state())
        cube, bowl = body_position(robot, "cube"), body_position(robot, "bowl")
        q = script.arm_joints(arm)
        grasp_at = np.array([cube[0], cube[1], 0.012])
        above, grasp = script.ik.grasp_poses(arm, [grasp_at + (0, 0, 0.12), grasp_at], body_yaw(robot, "cube"), np.pi / 2, q)
        carry, drop = script.ik.grasp_poses(arm, [(bowl[0], bowl[1], 0.18), (bowl[0], bowl[1], 0.12)], grasp.heading, np.pi / 2, q)
        script.move({arm: above}, {arm: 0.9})
        script.move({arm: grasp}, hold_s=0.1)
        script.move(grippers={arm: 0.25}, hold_s=0.3)  # 17.5 mm < 40 mm: the fingers squeeze
        script.move({arm: above})
        script.move({arm: carry})
        script.move({arm: drop}, hold_s=0.2)
        script.move(grippers={arm: 0.9}, hold_s=0.3)
        script.move({arm: carry})
        script.move(joints={arm: robot.embodiment.ready_pose()[:6]}, hold_s=0.5)
        return script.flush()
