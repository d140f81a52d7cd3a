"""Video planner node: the `generate_plan` action over a planner backend of the core.

Goal: plan id, instruction, the latest frames of the plan camera. The backend (`backend` parameter:
`sim_oracle` in simulation, `wan` for the video world model) generates the future frames; they are
published on `/video_plan` with the same plan id (the IDM decodes them from there) and the action
returns ok/timing. Feedback: denoising step (or rendered frame) out of the total.

A backend that needs the simulated world (sim_oracle) gets a snapshot from the simulated robot's
`/sim_robot/get_world_snapshot` service first.
"""

from __future__ import annotations

import numpy as np
from rclpy.action import ActionServer, CancelResponse, GoalResponse

from eva.conversions import MessageError, image_array, image_msg, to_time
from eva.node_support import EvaNode, main_for
from eva_core.config import load_yaml
from eva_core.planning import PlanRequest, WorldSnapshot, make_planner
from eva_interfaces.action import GeneratePlan
from eva_interfaces.msg import VideoPlan
from eva_interfaces.srv import GetWorldSnapshot


class PlannerNode(EvaNode):
    def __init__(self, **node_options) -> None:
        super().__init__("planner", **node_options)  # node_options: context, parameter_overrides (in-process tests)
        self.embodiment = self.load_embodiment_parameter()
        backend = self.declare("backend", "sim_oracle", "planner backend: sim_oracle (simulation) or wan")
        config_path = self.declare("backend_config", "", "YAML file of the backend's settings (empty: defaults)")
        self.plan_camera = self.declare("plan_camera", "cam_high", "camera the plans show (the IDM's camera)")
        self.num_frames = self.declare("num_frames", 0, "frames per plan when the goal does not say (4k+1); 0 = the backend's default (wan: its config's num_frames)")
        snapshot_service = self.declare("snapshot_service", "/sim_robot/get_world_snapshot", "simulation: where the world snapshot comes from")
        self.snapshot_wait_s = self.declare("snapshot_wait_s", 5.0, "simulation: how long a plan waits for the snapshot service to be discovered (s)")
        settings = load_yaml(config_path) if config_path else {}
        self.planner = make_planner(backend, settings, self.embodiment)
        self.snapshot_client = self.create_client(GetWorldSnapshot, snapshot_service) if self.planner.needs_world_snapshot else None
        self.publisher = self.create_publisher(VideoPlan, "/video_plan", 5)
        self.busy = False
        self.server = ActionServer(
            self, GeneratePlan, "~/generate_plan", execute_callback=self.execute,
            goal_callback=self.on_goal, cancel_callback=lambda _: CancelResponse.ACCEPT,
        )
        self.get_logger().info(f"planner backend {backend}")

    def on_goal(self, goal) -> GoalResponse:
        return GoalResponse.REJECT if self.busy else GoalResponse.ACCEPT  # one plan at a time

    async def execute(self, goal_handle):
        self.busy = True
        try:
            return await self._plan(goal_handle)
        finally:
            self.busy = False

    async def _plan(self, goal_handle):
        goal = goal_handle.request
        started_s = self.now_s()  # the VideoPlan's stamp: when planning started (snapshot included)
        result = GeneratePlan.Result()
        try:
            history = tuple(image_array(m) for m in goal.history)
        except MessageError as err:
            return self._abort(goal_handle, result, f"bad history frame: {err}")
        if not history:
            return self._abort(goal_handle, result, "no history frames in the goal")
        world = None
        if self.snapshot_client is not None:
            if not await self.wait_for_service_s(self.snapshot_client, self.snapshot_wait_s):
                return self._abort(goal_handle, result, f"no world snapshot service {self.snapshot_client.srv_name}")
            response = await self.snapshot_client.call_async(GetWorldSnapshot.Request())
            if not response.success:
                return self._abort(goal_handle, result, f"world snapshot failed: {response.message}")
            world = WorldSnapshot(
                task=response.task, seed=int(response.seed), episode=int(response.episode), sim_time_s=response.sim_time_s,
                physics=np.asarray(response.physics), command=np.asarray(response.command), setpoint=np.asarray(response.setpoint),
                driven_ticks=int(response.driven_ticks),
            )
        request = PlanRequest(goal.plan_id, goal.instruction, history, int(goal.num_frames or self.num_frames or self.planner.default_num_frames), world)

        def progress(step: int, total: int) -> None:
            goal_handle.publish_feedback(GeneratePlan.Feedback(step=step, total_steps=total))

        try:
            plan = self.planner.plan(request, progress)
        except Exception as err:  # noqa: BLE001 - a backend failure is reported to the caller, the node lives on
            self.get_logger().error(f"plan {goal.plan_id} failed: {type(err).__name__}: {err}")
            return self._abort(goal_handle, result, f"{type(err).__name__}: {err}")
        stamp = self.now_s()
        msg = VideoPlan(
            plan_id=plan.plan_id, instruction=goal.instruction, backend=plan.backend, fps=float(plan.fps),
            history=list(goal.history), frames=[image_msg(f, stamp, self.plan_camera) for f in plan.frames],
            planning_time_s=float(plan.planning_time_s),
        )
        msg.header.stamp = to_time(started_s)
        msg.header.frame_id = self.plan_camera
        self.publisher.publish(msg)
        goal_handle.succeed()
        result.ok, result.message, result.planning_time_s = True, "", float(plan.planning_time_s)
        return result

    def _abort(self, goal_handle, result, message: str):
        self.get_logger().warning(message)
        goal_handle.abort()
        result.ok, result.message = False, message
        return result

    def on_shutdown(self) -> None:
        self.planner.close()


main = main_for(PlannerNode)

if __name__ == "__main__":
    raise SystemExit(main())
