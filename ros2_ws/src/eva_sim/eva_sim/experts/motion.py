"""Scripted motion in task space: tool poses → our IK → joint waypoints → quintic trajectories.

`MotionScript` accumulates waypoints of the whole 14-D vector (both arms and grippers move together,
each segment timed for the slowest dimension) and hands out the control-rate commands with `flush()`,
so an expert can plan a phase, run it, look at the simulator and plan the next phase.

Tool poses are "grasp poses": the fingertip point, a heading (the horizontal direction the tool points
along, rad from world +x) and a downward pitch (90° = pointing straight down). The fingers close along
the horizontal axis at heading + 90°. The PiPER's wrist (J5 within ±70°) cannot point straight down
everywhere, so the pitch may be chosen per motion as the steepest one that IK reaches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from eva_core.embodiment import EmbodimentConfig
from eva_core.embodiment.ik import solve_ik
from eva_sim.experts.trajectory import join_waypoints

PITCHES_DEG = (90.0, 80.0, 70.0, 60.0, 50.0, 45.0, 40.0, 35.0)  # tried in this order: steeper grasps first


class IkFailure(RuntimeError):
    """No joint solution for a tool pose (out of reach or out of the joint limits)."""


@dataclass(frozen=True)
class GraspPose:
    position: tuple[float, float, float]  # m, fingertip point in the world (table) frame
    heading: float  # rad, horizontal direction of approach; fingers close along heading + 90°
    pitch_deg: float = 90.0  # downward tilt of the tool axis (90 = straight down)

    def matrix(self) -> np.ndarray:
        """4x4 world ← tool: tool z along the approach, tool y (the closing axis) horizontal."""
        h, p = self.heading, np.deg2rad(self.pitch_deg)
        z = np.array([np.cos(h) * np.cos(p), np.sin(h) * np.cos(p), -np.sin(p)])
        y = np.array([-np.sin(h), np.cos(h), 0.0])
        out = np.eye(4)
        out[:3, :3] = np.stack([np.cross(y, z), y, z], axis=1)
        out[:3, 3] = self.position
        return out

    def moved(self, dx: float = 0.0, dy: float = 0.0, dz: float = 0.0) -> GraspPose:
        x, y, z = self.position
        return GraspPose((x + dx, y + dy, z + dz), self.heading, self.pitch_deg)


_FLIP = np.diag([-1.0, -1.0, 1.0, 1.0])  # rotation by π about the tool axis: the same grasp, fingers swapped


class ArmIk:
    """Grasp-pose IK for the embodiment's arms, in the world frame."""

    def __init__(self, embodiment: EmbodimentConfig):
        self.embodiment = embodiment
        self._kin = embodiment.arm.kinematics
        self._base_inv = {m.name: np.linalg.inv(m.transform()) for m in embodiment.mounts}
        self._base = {m.name: np.asarray(m.xyz_m, dtype=np.float64) for m in embodiment.mounts}
        limits = embodiment.limits
        self._min, self._max = limits.position_min[:6], limits.position_max[:6]
        self._ready = np.asarray(embodiment.arm.ready_pose[:6], dtype=np.float64)

    def solve(self, arm: str, pose: GraspPose, q_seed: np.ndarray) -> np.ndarray | None:
        """Joint angles [6] for `pose` closest to `q_seed` (either finger first), or None."""
        best = None
        for flip in (np.eye(4), _FLIP):
            target = self._base_inv[arm] @ pose.matrix() @ flip
            for seed in (q_seed, self._ready):
                result = solve_ik(self._kin, target, seed, self._min, self._max)
                if result.converged:
                    cost = float(np.sum((result.q - q_seed) ** 2))
                    if best is None or cost < best[0]:
                        best = (cost, result.q)
        return None if best is None else best[1]

    def steepest_pitch(self, arm: str, poses: Sequence[GraspPose], q_seed: np.ndarray, pitches: Iterable[float] = PITCHES_DEG) -> float:
        """The steepest pitch at which every pose of `poses` (pitch replaced) is reachable, chained from
        `q_seed`. Raises IkFailure when none is."""
        for pitch in pitches:
            q = q_seed
            for pose in poses:
                q = self.solve(arm, GraspPose(pose.position, pose.heading, pitch), q)
                if q is None:
                    break
            else:
                return pitch
        raise IkFailure(f"{arm} arm: no pitch in {tuple(pitches)} reaches {[p.position for p in poses]}")

    def approach_heading(self, arm: str, position: Sequence[float], symmetry_rad: float, object_yaw: float) -> float:
        """Heading among object_yaw + k·symmetry closest to the direction from the arm's base to `position`."""
        azimuth = np.arctan2(position[1] - self._base[arm][1], position[0] - self._base[arm][0])
        k = np.round((azimuth - object_yaw) / symmetry_rad)
        return float(object_yaw + k * symmetry_rad)


    def grasp_poses(
        self, arm: str, positions: Sequence[Sequence[float]], object_yaw: float, symmetry_rad: float, q_seed: np.ndarray
    ) -> list[GraspPose]:
        """Poses at `positions` sharing one heading and pitch: the heading among object_yaw + k·symmetry
        (fingers closing along heading + 90°) and the pitch that together give the steepest reachable
        approach, ties going to the heading closest to the direction from the arm's base."""
        first = self.approach_heading(arm, positions[0], symmetry_rad, object_yaw)
        n = int(round(2 * np.pi / symmetry_rad))
        candidates = sorted((first + k * symmetry_rad for k in range(n)), key=lambda h: abs(np.angle(np.exp(1j * (h - first)))))
        best = None
        for heading in candidates:
            poses = [GraspPose(tuple(p), heading) for p in positions]
            try:
                pitch = self.steepest_pitch(arm, poses, q_seed)
            except IkFailure:
                continue
            if best is None or pitch > best[1]:
                best = (heading, pitch)
        if best is None:
            raise IkFailure(f"{arm} arm: no heading and pitch reach {[tuple(np.round(p, 3)) for p in positions]}")
        return [GraspPose(tuple(p), best[0], best[1]) for p in positions]


class MotionScript:
    """Waypoints of the 14-D command, chained into quintic segments; see the module docstring."""

    def __init__(self, embodiment: EmbodimentConfig, q_start: np.ndarray, *, fraction: float = 0.6):
        self.embodiment = embodiment
        self.ik = ArmIk(embodiment)
        self.fraction = fraction  # of the velocity and acceleration limits, per dimension
        self.q = np.asarray(q_start, dtype=np.float64).copy()  # the last waypoint
        self._flushed = self.q.copy()
        self._waypoints: list[tuple[np.ndarray, float]] = []
        self._dt = embodiment.control_dt

    def _slice(self, arm: str) -> slice:
        s = self.embodiment.arm_slice(arm)
        return slice(s.start, s.stop - 1)  # the six joints

    def _gripper(self, arm: str) -> int:
        return self.embodiment.arm_slice(arm).stop - 1

    def arm_joints(self, arm: str) -> np.ndarray:
        return self.q[self._slice(arm)].copy()

    def move(
        self,
        poses: Mapping[str, GraspPose] | None = None,
        grippers: Mapping[str, float] | None = None,
        *,
        joints: Mapping[str, np.ndarray] | None = None,
        hold_s: float = 0.0,
    ) -> MotionScript:
        """One waypoint: tool poses per arm (IK from the last waypoint), joint targets per arm, gripper
        openings (0..1) per arm; arms not named keep their last target. Raises IkFailure."""
        q = self.q.copy()
        for arm, pose in (poses or {}).items():
            solution = self.ik.solve(arm, pose, q[self._slice(arm)])
            if solution is None:
                raise IkFailure(f"{arm} arm cannot reach {pose}")
            q[self._slice(arm)] = solution
        for arm, target in (joints or {}).items():
            q[self._slice(arm)] = target
        for arm, opening in (grippers or {}).items():
            q[self._gripper(arm)] = opening
        self._waypoints.append((q, hold_s))
        self.q = q
        return self

    def hold(self, seconds: float) -> MotionScript:
        self._waypoints.append((self.q.copy(), seconds))
        return self

    def flush(self) -> np.ndarray:
        """Commands [T, 14] at the control rate for the waypoints added since the last flush."""
        out = join_waypoints(self._flushed, self._waypoints, self.embodiment.limits, self._dt, self.fraction)
        self._waypoints = []
        self._flushed = self.q.copy()
        return out
