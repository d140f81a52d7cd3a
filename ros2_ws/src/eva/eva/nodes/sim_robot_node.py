"""Simulated robot node: the MuJoCo twin behind the same topics as the real arm driver and cameras.

Publishes `/joint_states` (14 joints by name, position and velocity) at the control rate and
`/cameras/<name>/image_raw` (rgb8) for the twin's three cameras; takes `/joint_commands` (JointState
by name) through a `CommandStream` (command guard) exactly like the arm driver, so the rest of the
graph cannot tell it from the real platform. Simulation-only extras: `/task_success` (std_msgs/Bool),
`~/get_world_snapshot` (for the sim_oracle planner) and `~/reset_episode`.

Time: the twin advances in 200 Hz control ticks paced by the wall clock; when the process falls
behind it catches up at most `max_catch_up_ticks` per timer call, so a loaded machine slows the
simulated world down instead of making it jump.

Fault injection for tests (dynamic parameters): `publish_cameras:=false` stops every camera,
`publish_joint_states:=false` stops the joint feedback.
"""

from __future__ import annotations

import numpy as np
from rcl_interfaces.msg import SetParametersResult
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Bool
from std_srvs.srv import SetBool, Trigger

from eva.conversions import MessageError, image_msg, joint_state_msg, joint_state_position, to_seconds
from eva.node_support import EvaNode, main_for
from eva_core.safety import CommandGuard, CommandStream
from eva_interfaces.srv import GetWorldSnapshot, ResetEpisode
from eva_sim.config import CAMERA_NAMES, SimConfig
from eva_sim.episode import SimEpisode


def parse_resolution(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"resolution must be WxH, e.g. 160x120, got {text!r}") from None
    return width, height


class SimRobotNode(EvaNode):
    def __init__(self, **node_options) -> None:
        super().__init__("sim_robot", **node_options)  # node_options: context, parameter_overrides (in-process tests)
        self.embodiment = self.load_embodiment_parameter()
        self.names = list(self.embodiment.joint_names)
        task = self.declare("task", "press_button", "simulated task (`eva sim tasks`): scene objects and success check")
        seed = self.declare("seed", 0, "seed of the first episode (object placement)")
        width, height = parse_resolution(self.declare("resolution", "160x120", "camera resolution WxH"))
        self.camera_rate_hz = self.declare("camera_rate_hz", 16.0, "camera frame rate (Hz); the plan rate by default")
        self.max_catch_up = self.declare("max_catch_up_ticks", 4, "control ticks simulated per timer call at most when behind")
        self.declare("publish_cameras", True, "fault injection: false stops every camera", read_only=False)
        self.declare("publish_joint_states", True, "fault injection: false stops joint feedback", read_only=False)
        self.add_on_set_parameters_callback(lambda params: SetParametersResult(successful=True))

        self.episode = SimEpisode(task, self.embodiment, SimConfig().with_resolution(width, height))
        self.episode.reset(seed)
        self.enabled = True
        self.stream = CommandStream(CommandGuard.from_config(self.embodiment))
        self.stream.reset(self.episode.robot.state())

        self.joint_pub = self.create_publisher(JointState, "/joint_states", 10)
        self.camera_pubs = {name: self.create_publisher(Image, f"/cameras/{name}/image_raw", 5) for name in CAMERA_NAMES}
        self.success_pub = self.create_publisher(Bool, "/task_success", 10)
        self.diagnostics = self.diagnostics_publisher()
        self.create_subscription(JointState, "/joint_commands", self.on_command, 10)
        self.create_service(GetWorldSnapshot, "~/get_world_snapshot", self.on_snapshot)
        self.create_service(ResetEpisode, "~/reset_episode", self.on_reset)
        self.create_service(SetBool, "~/enable", self.on_enable)
        self.create_service(Trigger, "~/emergency_stop", self.on_estop)

        self.dt = self.embodiment.control_dt
        self._clock_origin = self.now_s()
        self._ticks = 0
        self.create_timer(self.dt, self.on_control_tick)
        self.create_timer(1.0 / self.camera_rate_hz, self.on_camera_tick)
        self.create_timer(1.0, self.on_diagnostics)
        self.get_logger().info(f"simulating {task} (seed {seed}), cameras {width}x{height} at {self.camera_rate_hz:g} Hz")

    # ---------------------------------------------------------------------------------- commands

    def on_command(self, msg: JointState) -> None:
        try:
            q = joint_state_position(msg, self.names)
        except MessageError as err:
            self.get_logger().warning(f"command refused: {err}", throttle_duration_sec=1.0)
            q = None  # the guard turns it into a hold
        self.stream.offer(q, to_seconds(msg.header.stamp), self.now_s())

    def on_control_tick(self) -> None:
        due = int((self.now_s() - self._clock_origin) / self.dt) - self._ticks
        if due <= 0:
            return
        if due > self.max_catch_up:
            self._clock_origin += (due - self.max_catch_up) * self.dt  # the world slows down, never jumps
            due = self.max_catch_up
        robot = self.episode.robot
        for _ in range(due):
            sent = self.stream.tick(self.now_s())
            if sent is not None and self.enabled:
                self.episode.command(sent)  # through the episode: it counts driven ticks for the oracle
            self.episode.step(1)
            self._ticks += 1
        if self.get_parameter("publish_joint_states").value:
            self.joint_pub.publish(joint_state_msg(self.names, robot.state(), self.now_s(), robot.velocity()))

    def on_camera_tick(self) -> None:
        self.success_pub.publish(Bool(data=bool(self.episode.success())))
        if not self.get_parameter("publish_cameras").value:
            return
        stamp = self.now_s()
        for name, frame in self.episode.robot.render_all().items():
            if name in self.camera_pubs:
                self.camera_pubs[name].publish(image_msg(frame, stamp, name))

    def on_diagnostics(self) -> None:
        self.publish_status(
            self.diagnostics, "ok", "simulating", task=self.episode.task.name, seed=self.episode.seed,
            sim_time_s=f"{self.episode.robot.time:.2f}", commands_received=self.stream.received, holds=self.stream.holds,
        )

    # ---------------------------------------------------------------------------------- services

    def on_snapshot(self, request, response):
        snap = self.episode.snapshot()
        response.success, response.message = True, ""
        response.task, response.seed, response.episode = snap.task, int(snap.seed), int(snap.episode)
        response.sim_time_s = float(snap.sim_time_s)
        response.physics = snap.physics.astype(float).tolist()
        response.command = snap.command.astype(float).tolist()
        response.setpoint = snap.setpoint.astype(float).tolist()
        response.driven_ticks = int(snap.driven_ticks)
        return response

    def on_reset(self, request, response):
        try:
            if request.task and request.task != self.episode.task.name:
                self.episode = SimEpisode(request.task, self.embodiment, self.episode.robot.config)
            self.episode.reset(int(request.seed))
        except (KeyError, ValueError) as err:
            response.success, response.message = False, str(err)
            return response
        self.stream.reset(self.episode.robot.state())
        self._clock_origin, self._ticks = self.now_s(), 0
        response.success, response.message = True, f"{self.episode.task.name} seed {request.seed}"
        response.instruction = self.episode.task.instruction
        response.max_duration_s = float(self.episode.task.max_duration_s)
        self.get_logger().info(f"episode reset: {response.message}")
        return response

    def on_enable(self, request, response):
        self.enabled = bool(request.data)
        if self.enabled:
            self.stream.reset(self.episode.robot.state())
        else:
            self.episode.robot.command(self.episode.robot.state())  # servos hold where they are
        response.success, response.message = True, "enabled" if self.enabled else "disabled"
        return response

    def on_estop(self, request, response):
        self.enabled = False
        self.episode.robot.command(self.episode.robot.state())
        response.success, response.message = True, "emergency stop: commands refused until enabled again"
        return response

    def on_shutdown(self) -> None:
        self.episode.robot.close()


main = main_for(SimRobotNode)

if __name__ == "__main__":
    raise SystemExit(main())
