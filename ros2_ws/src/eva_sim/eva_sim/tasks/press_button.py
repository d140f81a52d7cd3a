"""Single-arm (right): press a spring-loaded button down."""

from __future__ import annotations

import mujoco
import numpy as np

from eva_sim.experts import GraspPose, MotionScript
from eva_sim.model import add_mjcf
from eva_sim.robot import SimRobot
from eva_sim.tasks.base import Task, body_position, set_static_position

CAP_TOP_Z = 0.038  # m above the table with the button released
TRAVEL = 0.015  # m of slide down to the stop
PRESSED_DEPTH = 0.010  # m: pushed at least this far counts as pressed
# The expert pushes the cap onto its stop and aims this far below it: a press "all the way down", so
# that a decoded plan a few millimetres short (the IDM's error) still passes PRESSED_DEPTH. Aiming
# only 3 mm past the threshold, IDM replays reached 6-9 mm and failed.
PRESS_PAST_STOP = 0.006  # m
BUTTON_MJCF = f"""
<body name="button" pos="0.33 -0.3 0">
  <geom name="button_housing" type="box" size="0.035 0.035 0.006" pos="0 0 0.006" rgba="0.25 0.25 0.25 1"/>
  <body name="button_cap" pos="0 0 0.026">
    <joint name="button" type="slide" axis="0 0 1" range="-{TRAVEL} 0" limited="true" stiffness="300" springref="0.005" damping="2"/>
    <geom name="button_cap" type="cylinder" size="0.022 0.012" mass="0.02" rgba="0.9 0.15 0.1 1"/>
  </body>
</body>
"""  # the cap sinks into the housing (their contacts are excluded in `add_to_scene`); the spring is preloaded (springref above the upper stop) so that 1 cm of press takes ~4.5 N.


class PressButton(Task):
    name = "press_button"
    instruction = "press the red button"
    arms = ("right",)
    max_duration_s = 12.0

    def __init__(self) -> None:
        self.deepest = 0.0  # m, the furthest the cap went down this episode

    def add_to_scene(self, spec: mujoco.MjSpec) -> None:
        add_mjcf(spec, BUTTON_MJCF)
        spec.add_exclude(bodyname1="button", bodyname2="button_cap")

    def reset(self, robot: SimRobot, rng: np.random.Generator) -> None:
        set_static_position(robot, "button", (rng.uniform(0.28, 0.38), rng.uniform(-0.38, -0.22), 0.0))
        self.deepest = 0.0

    def depth(self, robot: SimRobot) -> float:
        """How far (m) the cap is pushed in now."""
        return float(-robot.data.qpos[robot.model.joint("button").qposadr[0]])

    def observe(self, robot: SimRobot) -> None:
        self.deepest = max(self.deepest, self.depth(robot))

    def success(self, robot: SimRobot) -> bool:
        return max(self.deepest, self.depth(robot)) >= PRESSED_DEPTH

    def expert(self, robot: SimRobot, rng: np.random.Generator):
        arm = "right"
        script = MotionScript(robot.embodiment, robot.state())
        button = body_position(robot, "button")
        x, y = button[0], button[1]
        positions = [(x, y, CAP_TOP_Z + 0.10), (x, y, CAP_TOP_Z + 0.01), (x, y, CAP_TOP_Z - TRAVEL - PRESS_PAST_STOP)]
        above, touch, press = script.ik.grasp_poses(arm, positions, 0.0, np.pi / 2, script.arm_joints(arm))
        script.move({arm: above}, {arm: 0.0})  # closed fingers: one flat fingertip pad
        script.move({arm: touch})
        script.move({arm: press}, hold_s=0.3)
        script.move({arm: above})
        script.move(joints={arm: robot.embodiment.ready_pose()[:6]}, hold_s=0.3)
        return script.flush()
