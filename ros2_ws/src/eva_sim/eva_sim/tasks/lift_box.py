"""Dual-arm: lift a box by its two side handles with both arms together, keeping it level."""

from __future__ import annotations

import mujoco
import numpy as np

from eva_sim.experts import GraspPose, MotionScript
from eva_sim.model import add_mjcf
from eva_sim.robot import SimRobot
from eva_sim.tasks.base import Task, body_position, body_rotation, body_yaw, set_free_pose

BOX_HALF = (0.05, 0.09, 0.03)  # m, the box body (10 x 18 x 6 cm), 200 g
HANDLE_HALF = (0.012, 0.025, 0.02)  # m, a tab on each side (y), 2.4 cm thick along x
HANDLE_Z = 0.01  # m, handle centre above the box centre (tabs span 1..5 cm above the table... see MJCF)
LIFT_M = 0.08  # m the expert lifts
SUCCESS_LIFT_M = 0.06  # m above the start counts as lifted
LEVEL_TOLERANCE_RAD = np.deg2rad(10.0)
HANDLE_Y = BOX_HALF[1] + HANDLE_HALF[1]  # m from the box centre to each handle's centre

BOX_MJCF = f"""
<body name="box" pos="0.33 0 {BOX_HALF[2]}">
  <freejoint name="box"/>
  <geom name="box" type="box" size="{BOX_HALF[0]} {BOX_HALF[1]} {BOX_HALF[2]}" mass="0.2" friction="1.2 0.02 0.001" condim="4" rgba="0.85 0.65 0.2 1"/>
  <geom name="box_handle_left" type="box" size="{HANDLE_HALF[0]} {HANDLE_HALF[1]} {HANDLE_HALF[2]}" pos="0 {HANDLE_Y} {HANDLE_Z}" mass="0.02" friction="1.2 0.02 0.001" condim="4" rgba="0.55 0.35 0.1 1"/>
  <geom name="box_handle_right" type="box" size="{HANDLE_HALF[0]} {HANDLE_HALF[1]} {HANDLE_HALF[2]}" pos="0 {-HANDLE_Y} {HANDLE_Z}" mass="0.02" friction="1.2 0.02 0.001" condim="4" rgba="0.55 0.35 0.1 1"/>
  <site name="box" size="0.005" rgba="0 0 0 0"/>
</body>
"""


class LiftBox(Task):
    name = "lift_box"
    instruction = "lift the box by its handles with both arms"
    arms = ("left", "right")
    max_duration_s = 20.0

    def __init__(self) -> None:
        self.start_z = BOX_HALF[2]

    def add_to_scene(self, spec: mujoco.MjSpec) -> None:
        add_mjcf(spec, BOX_MJCF)

    def reset(self, robot: SimRobot, rng: np.random.Generator) -> None:
        position = (rng.uniform(0.28, 0.34), rng.uniform(-0.03, 0.03), BOX_HALF[2])
        set_free_pose(robot, "box", position, yaw=rng.uniform(-0.12, 0.12))
        self.start_z = BOX_HALF[2]

    def success(self, robot: SimRobot) -> bool:
        lifted = body_position(robot, "box")[2] - self.start_z >= SUCCESS_LIFT_M
        tilt = np.arccos(np.clip(body_rotation(robot, "box")[2, 2], -1.0, 1.0))
        return bool(lifted and tilt < LEVEL_TOLERANCE_RAD)

    def expert(self, robot: SimRobot, rng: np.random.Generator):
        embodiment = robot.embodiment
        script = MotionScript(embodiment, robot.state())
        ik = script.ik
        centre, yaw = body_position(robot, "box"), body_yaw(robot, "box")
        side = np.array([-np.sin(yaw), np.cos(yaw), 0.0])  # the box's +y axis in the world
        tip_z = centre[2] + HANDLE_Z - HANDLE_HALF[2] + 0.006  # fingers over most of the handle's height
        grasps, aboves, lifts = {}, {}, {}
        for arm, sign in (("left", 1.0), ("right", -1.0)):
            point = centre + sign * HANDLE_Y * side
            # Fingers close along the box's x axis (across the handle's thickness).
            grasp = np.array([point[0], point[1], tip_z])
            positions = [grasp + (0, 0, 0.08), grasp, grasp + (0, 0, LIFT_M)]
            aboves[arm], grasps[arm], lifts[arm] = ik.grasp_poses(arm, positions, yaw - np.pi / 2, np.pi, script.arm_joints(arm))
        script.move(aboves, {"left": 0.9, "right": 0.9})
        script.move(grasps, hold_s=0.1)
        script.move(grippers={"left": 0.15, "right": 0.15}, hold_s=0.3)  # 10.5 mm < 24 mm handles
        # Both arms move in one joint-space segment: they start and stop together.
        script.move(lifts, hold_s=0.8)
        return script.flush()
