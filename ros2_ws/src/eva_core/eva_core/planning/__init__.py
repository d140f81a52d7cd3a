"""Video planning (ROS-free): the planner interface, the backend registry and the world snapshot.

    planner = make_planner("sim_oracle", {"task": "press_button"}, embodiment)   # backend from eva_sim
    result = planner.plan(PlanRequest(plan_id, instruction, history, num_frames=49, world=snapshot))

Backends: `sim_oracle` (eva_sim: the task's scripted expert rolled out in a copy of the simulated
world, rendered; needs `world`) and `wan` (eva_core.planning.wan) (the video model: history + instruction only).
"""

from eva_core.planning.factory import ENTRY_POINT_GROUP, make_planner, planner_config, planner_types, register_planner, unregister_planner
from eva_core.planning.planner import PlannerConfig, PlanRequest, Progress, VideoPlanner, VideoPlanResult
from eva_core.planning.world import WorldSnapshot

__all__ = [
    "ENTRY_POINT_GROUP",
    "PlanRequest",
    "PlannerConfig",
    "Progress",
    "VideoPlanResult",
    "VideoPlanner",
    "WorldSnapshot",
    "make_planner",
    "planner_config",
    "planner_types",
    "register_planner",
    "unregister_planner",
]
