"""Dual-arm: the left arm picks up a long block and hands it to the right arm.

The block is a 24 cm bar lying across the table (along y, the line between the arm bases), so that
both grippers can hold it at once during the exchange, each by its own end, as people hand over a
long object. Held by its ends, 16 cm apart, the two arms never reach across each other: their link
capsules stay ~7 cm apart, clear of the safety filter's arm clearance (4 cm). (A bar along x held 8 cm
apart brought the forearms within millimetres, and the filter rightly rejected the expert itself.)
"""

from __future__ import annotations

import mujoco
import numpy as np

from eva_sim.experts import GraspPose, MotionScript
from eva_sim.model import add_object
from eva_sim.robot import SimRobot
from eva_sim.tasks.base import Task, arm_geoms, body_position, body_yaw, held_by, set_free_pose, touching

BAR_HALF = (0.12, 0.015, 0.015)  # m: 24 x 3 x 3 cm, 30 g (light: held by one end, it pivots less in the grip)
GRIP_OFFSET = 0.08  # m from the bar's centre along its length to each gripper's grasp point (left +, right -)
HANDOVER_XY = (0.34, 0.0)  # m, where the bar's centre is brought between the arms
HANDOVER_YAW = np.pi / 2  # the bar's axis at the exchange: along +y, its + end towards the left arm
HANDOVER_TIP_Z = 0.10  # m, fingertip height during the exchange
NOSLIP_ITERATIONS = 5
HELD_MIN_Z = 0.05  # m: the bar's centre this high counts as lifted off the table


class HandoverBlock(Task):
    name = "handover_block"
    instruction = "pick up the green bar with the left arm and hand it over to the right arm"
    arms = ("left", "right")
    max_duration_s = 30.0

    def add_to_scene(self, spec: mujoco.MjSpec) -> None:
        # Held by one end, the bar's weight twists it about the fingers' contact normal, and MuJoCo's
        # soft contacts let it creep: ~4 mm/s of sag, so in a closed loop that waits for plans the bar
        # hung down before the right arm came (it closed on air). The no-slip pass removes the creep
        # (measured: 38 mm of sag in a 10 s hold without, 0.0 mm with 5 iterations).
        spec.option.noslip_iterations = NOSLIP_ITERATIONS
        add_object(spec, "bar", shape="box", size=BAR_HALF, pos=(0.31, 0.13, BAR_HALF[2]), quat=(np.cos(HANDOVER_YAW / 2), 0.0, 0.0, np.sin(HANDOVER_YAW / 2)), mass_kg=0.03, friction=(1.2, 0.05, 0.001), rgba=(0.15, 0.75, 0.25, 1))

    def reset(self, robot: SimRobot, rng: np.random.Generator) -> None:
        position = (rng.uniform(0.26, 0.32), rng.uniform(0.10, 0.16), BAR_HALF[2])
        set_free_pose(robot, "bar", position, yaw=HANDOVER_YAW + rng.uniform(-0.2, 0.2))

    def success(self, robot: SimRobot) -> bool:
        bar = body_position(robot, "bar")
        return bool(bar[2] > HELD_MIN_Z and held_by(robot, "right", "bar") and not touching(robot, arm_geoms(robot, "left"), "bar"))

    def _grasp_point(self, robot: SimRobot, offset: float) -> np.ndarray:
        centre, yaw = body_position(robot, "bar"), body_yaw(robot, "bar")
        return centre + offset * np.array([np.cos(yaw), np.sin(yaw), 0.0])

    def _right_grasp(self, robot: SimRobot, ik, script: MotionScript, dz: float, like: GraspPose | None = None) -> GraspPose:
        """Right fingertips `dz` above a grasp of the bar's right end, fingers over most of its height."""
        yaw = body_yaw(robot, "bar")
        point = self._grasp_point(robot, -GRIP_OFFSET)
        z = body_position(robot, "bar")[2] - BAR_HALF[2] + 0.004 + dz
        if like is None:
            return ik.grasp_poses("right", [(point[0], point[1], z), (point[0], point[1], z - dz)], yaw, np.pi, script.arm_joints("right"))[0]
        return GraspPose((point[0], point[1], z), like.heading, like.pitch_deg)

    def expert(self, robot: SimRobot, rng: np.random.Generator):
        embodiment = robot.embodiment
        script = MotionScript(embodiment, robot.state())
        ik = script.ik
        # 1. Left: grasp the bar's left end, across its width (the bar's axis is the heading).
        yaw = body_yaw(robot, "bar")
        point = self._grasp_point(robot, GRIP_OFFSET)
        grasp_at = np.array([point[0], point[1], 0.010])
        above, grasp = ik.grasp_poses("left", [grasp_at + (0, 0, 0.08), grasp_at], yaw, np.pi, script.arm_joints("left"))
        script.move({"left": above}, {"left": 0.9, "right": 0.9})
        script.move({"left": grasp}, hold_s=0.1)
        script.move(grippers={"left": 0.2}, hold_s=0.3)
        script.move({"left": above})
        # 2. Carry the bar to the middle, its axis along y (the left approaches heading -y, towards the right arm).
        give = GraspPose((HANDOVER_XY[0], HANDOVER_XY[1] + GRIP_OFFSET, HANDOVER_TIP_Z), HANDOVER_YAW - np.pi)
        give = GraspPose(give.position, give.heading, ik.steepest_pitch("left", [give], script.arm_joints("left")))
        script.move({"left": give}, hold_s=0.3)
        yield script.flush()
        # 3. Right: above the front half where the bar really is, then down to it as it is then.
        over = self._right_grasp(robot, ik, script, dz=0.04)
        script.move({"right": over})
        yield script.flush()
        take = self._right_grasp(robot, ik, script, dz=0.0, like=over)
        script.move({"right": take}, hold_s=0.1)
        script.move(grippers={"right": 0.2}, hold_s=0.3)
        # 4. Left lets go and withdraws; right lifts the bar a little.
        script.move(grippers={"left": 0.9}, hold_s=0.2)
        back = give.moved(dy=0.03, dz=0.03)  # up and away from the right arm (heading -y: higher is out of reach)
        script.move({"left": GraspPose(back.position, back.heading, ik.steepest_pitch("left", [back], script.arm_joints("left")))})
        script.move(joints={"left": embodiment.ready_pose()[:6]}, grippers={"left": 0.5})
        script.move({"right": take.moved(dz=0.04)}, hold_s=0.5)
        yield script.flush()
