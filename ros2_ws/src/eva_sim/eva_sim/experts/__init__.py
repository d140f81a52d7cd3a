"""Scripted experts: tool poses → our own IK (`eva_core.embodiment.ik`) → smooth joint trajectories.

    script = MotionScript(embodiment, robot.state())
    script.move({"left": GraspPose((0.3, 0.2, 0.1), heading=0.0)}, {"left": 0.9})
    commands = script.flush()          # [T, 14] at the control rate, within the limits

Segments are quintic (minimum-jerk) between waypoints at rest, timed so that velocity and acceleration
stay under a fraction (default 60 %) of the embodiment's limits (`trajectory`).
"""

from eva_sim.experts.motion import PITCHES_DEG, ArmIk, GraspPose, IkFailure, MotionScript
from eva_sim.experts.trajectory import join_waypoints, min_jerk, quintic_segment, segment_duration

__all__ = [
    "PITCHES_DEG",
    "ArmIk",
    "GraspPose",
    "IkFailure",
    "MotionScript",
    "join_waypoints",
    "min_jerk",
    "quintic_segment",
    "segment_duration",
]
