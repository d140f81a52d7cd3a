"""IDM node: decodes every video plan into 14-D joint actions and scores them with the reward.

`/video_plan` (eva_interfaces/VideoPlan) -> `/action_plan/decoded` (eva_interfaces/ActionPlan: a
JointTrajectory by joint name at the plan rate, executability reward and its terms).
"""

from __future__ import annotations

import numpy as np

from eva.conversions import MessageError, image_array, safety_report_msg, trajectory_msg
from eva.node_support import EvaNode, main_for
from eva_core.idm.inference import IdmDecoder
from eva_core.idm.plan_scoring import TERM_NAMES, decode_and_score
from eva_core.reward import RewardParams
from eva_interfaces.msg import ActionPlan, VideoPlan

class IdmNode(EvaNode):
    def __init__(self, **node_options) -> None:
        super().__init__("idm", **node_options)  # node_options: context, parameter_overrides (in-process tests)
        self.embodiment = self.load_embodiment_parameter()
        checkpoint = self.declare("checkpoint", "", "IDM checkpoint directory (model.safetensors + config.json)")
        device = self.declare("device", "cpu", "torch device (cpu, cuda, cuda:1)")
        if not checkpoint:
            raise ValueError("parameter checkpoint is required (an IDM checkpoint directory)")
        self.decoder = IdmDecoder.load(checkpoint, device)
        self.reward_params = RewardParams.from_embodiment(self.embodiment)
        self.names = list(self.embodiment.joint_names)
        self.publisher = self.create_publisher(ActionPlan, "/action_plan/decoded", 10)
        self.create_subscription(VideoPlan, "/video_plan", self.on_video_plan, 10)
        self.diagnostics = self.diagnostics_publisher()
        self.get_logger().info(f"IDM {checkpoint} on {device}")

    def on_video_plan(self, plan: VideoPlan) -> None:
        try:
            frames = np.stack([image_array(m) for m in plan.frames])
        except (MessageError, ValueError) as err:
            self.get_logger().error(f"plan {plan.plan_id}: unusable frames: {err}")
            return
        scored = decode_and_score(self.decoder, frames, self.reward_params)
        actions = scored.actions
        terms = scored.terms
        msg = ActionPlan(
            plan_id=plan.plan_id,
            trajectory=trajectory_msg(self.names, actions, 1.0 / plan.fps if plan.fps > 0 else self.embodiment.plan_dt, self.now_s()),
            reward=float(scored.reward.reward),
            score=float(scored.reward.score),
            reward_term_names=list(TERM_NAMES),
            reward_terms=[terms[name] for name in TERM_NAMES],
            filtered=False,
            safety=safety_report_msg(None),
            decode_time_s=scored.decode_time_s,
            filter_time_s=float("nan"),
        )
        msg.header.stamp = self.get_clock().now().to_msg()
        self.publisher.publish(msg)
        self.publish_status(self.diagnostics, "ok", "decoded", plan_id=plan.plan_id, score=f"{msg.score:.2f}", decode_time_s=f"{scored.decode_time_s:.3f}")


main = main_for(IdmNode)

if __name__ == "__main__":
    raise SystemExit(main())
