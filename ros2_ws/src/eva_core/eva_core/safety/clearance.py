"""Dual-arm clearance: how close the two arms' links come to each other along a plan.

Each arm is approximated by capsules (segments with a radius): one per pair of consecutive frame
origins that are apart (base→1, 2→3, 3→4, 5→6 for the PiPER, whose frames 1/2 and 4/5 coincide),
plus the gripper from the flange to the fingertips. All capsules have the radius
`kinematics.link_radius_m` (0.045 m covers the PiPER links and the open fingers, ±0.035 m).
The surface distance between two capsules is the distance between their segments minus both radii;
it is negative when they overlap, and bottoms out at -2 × radius once the centre lines touch (how
deep the arms would interpenetrate is not measured: any overlap is a failure anyway).

Joint vectors are in the SDK convention (see `eva_core.embodiment.kinematics`); each arm's base is
placed in the world (table) frame with its mount transform.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from eva_core.embodiment.config import EmbodimentConfig, KinematicsSpec, Mount
from eva_core.embodiment.kinematics import FLANGE_FRAME, N_JOINTS, TOOL_FRAME, link_frames

# Segments shorter than this (m) are points; squared lengths below its square count as zero.
_MIN_SEGMENT_M = 1e-9
# Segments whose directions' sin² angle is below this are treated as parallel.
_PARALLEL_SIN2 = 1e-12

# Reported distance of a step whose positions are not all finite: never clear, never NaN.
NON_FINITE_DISTANCE = -np.inf


@dataclass(frozen=True)
class ClearanceResult:
    """Closest approach of the two arms over a plan."""

    min_distance_m: float  # smallest link-surface distance over the plan, m (-inf: non-finite input)
    step: int  # index of the (first) step where it occurs
    ok: bool  # min_distance_m >= safety.arm_clearance_m


def segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """Distance between the segments [p0, p1] and [q0, q1]; points are [..., 3] and broadcast.

    Exact closest points (Ericson, Real-Time Collision Detection §5.1.9) evaluated branch-free, so a
    whole batch of segment pairs costs one pass of array operations. Zero-length segments are points,
    parallel segments are handled.
    """
    p0, p1, q0, q1 = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (p0, p1, q0, q1)))
    if p0.ndim == 0 or p0.shape[-1] != 3:
        raise ValueError(f"points must have shape [..., 3], got {p0.shape}")
    p0, p1, q0, q1 = (np.moveaxis(x, -1, 0) for x in (p0, p1, q0, q1))
    return _segment_distance_xyz(p0, p1 - p0, q0, q1 - q0)


def _clip01(x: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, 0.0), 1.0)  # np.clip costs several times more on small arrays


def _segment_distance_xyz(
    p: np.ndarray, d1: np.ndarray, q: np.ndarray, d2: np.ndarray, *, points: bool = True
) -> np.ndarray:
    """Kernel of `segment_distance` on coordinate-first arrays [3, ...]: segments p + s·d1 and q + t·d2.

    Coordinate-first so that each dot product is three whole-array products (the hot path of the
    clearance check; `einsum` over a trailing axis of 3 is several times slower at these sizes).
    `points=False` skips the zero-length cases, for callers whose segments all have a length.
    """
    r = p - q
    a = d1[0] * d1[0] + d1[1] * d1[1] + d1[2] * d1[2]  # |d1|²
    e = d2[0] * d2[0] + d2[1] * d2[1] + d2[2] * d2[2]  # |d2|²
    b = d1[0] * d2[0] + d1[1] * d2[1] + d1[2] * d2[2]
    c = d1[0] * r[0] + d1[1] * r[1] + d1[2] * r[2]
    f = d2[0] * r[0] + d2[1] * r[1] + d2[2] * r[2]
    if points:
        point_p = a <= _MIN_SEGMENT_M**2
        point_q = e <= _MIN_SEGMENT_M**2
        a = np.where(point_p, 1.0, a)  # only divided by from here on; the point cases are fixed below
        e = np.where(point_q, 1.0, e)

    denom = a * e - b * b  # = |d1|²|d2|² sin²(angle) >= 0
    parallel = denom <= _PARALLEL_SIN2 * a * e
    # Closest point of the infinite lines, clamped to the first segment (s = 0 when parallel: any s
    # is a closest point of the lines, and the clamping of t below finds the right one).
    s = np.where(parallel, 0.0, _clip01((b * f - c * e) / np.where(parallel, 1.0, denom)))
    t = (b * s + f) / e
    # t off the second segment: clamp it to the end and recompute s for that end point.
    s = _clip01(np.where(t < 0.0, -c / a, np.where(t > 1.0, (b - c) / a, s)))
    t = _clip01(t)
    if points:
        # A point against a segment (the other one's closest parameter), or two points (0, 0).
        s, t = (
            np.where(point_p, 0.0, np.where(point_q, _clip01(-c / a), s)),
            np.where(point_q, 0.0, np.where(point_p, _clip01(f / e), t)),
        )
    gx = r[0] + s * d1[0] - t * d2[0]
    gy = r[1] + s * d1[1] - t * d2[1]
    gz = r[2] + s * d1[2] - t * d2[2]
    return np.sqrt(gx * gx + gy * gy + gz * gz)


def capsule_frame_pairs(kin: KinematicsSpec) -> tuple[tuple[int, int], ...]:
    """(start, end) indices into `link_frames` of the capsule segments of one arm.

    Frame i-1 → i for each joint whose origin moves (a_i or d_i non-zero), then flange → tool.
    """
    pairs = [(i - 1, i) for i in range(1, N_JOINTS + 1) if np.hypot(kin.a_m[i - 1], kin.d_m[i - 1]) > _MIN_SEGMENT_M]
    return tuple(pairs) + ((FLANGE_FRAME, TOOL_FRAME),)


@lru_cache(maxsize=8)
def _capsule_geometry(kin: KinematicsSpec, mounts: tuple[Mount, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per configuration constants: segment frame indices [n_seg, 2] and mount transforms [n_arms, 4, 4]."""
    pairs = np.array(capsule_frame_pairs(kin))
    bases = np.stack([m.transform() for m in mounts])
    pairs.setflags(write=False)
    bases.setflags(write=False)
    return pairs, bases


def _world_origins(config: EmbodimentConfig, positions: np.ndarray) -> np.ndarray:
    """Frame origins of both arms in the world frame, [..., n_arms, 8, 3] in m, from [..., 14] positions."""
    _, bases = _capsule_geometry(config.arm.kinematics, config.mounts)
    q = np.stack([positions[..., config.arm_slice(m.name)][..., :N_JOINTS] for m in config.mounts], axis=-2)
    return link_frames(config.arm.kinematics, q, base=bases)[..., :3, 3]


def arm_segments(config: EmbodimentConfig, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World-frame capsule segments of both arms: (starts, ends), each [..., n_arms, n_segments, 3] in m.

    `positions` is [..., 14]; arms in `config.mounts` order (left, right). For inspection and drawing;
    `arm_distance` uses the same segments.
    """
    pairs, _ = _capsule_geometry(config.arm.kinematics, config.mounts)
    origins = _world_origins(config, np.asarray(positions, dtype=np.float64))
    return origins[..., pairs[:, 0], :], origins[..., pairs[:, 1], :]


def arm_distance(config: EmbodimentConfig, positions: np.ndarray) -> np.ndarray:
    """Smallest surface distance (m) between any left-arm and any right-arm capsule, per step.

    `positions` is [..., 14] in the embodiment's vector layout; the result has the leading shape.
    Grippers' openings do not change the geometry (the capsule radius covers open fingers). A step with
    any non-finite value (joint or gripper) gets `NON_FINITE_DISTANCE` (-inf): it can never pass a
    clearance threshold and never turns a minimum into NaN.
    """
    positions = np.asarray(positions, dtype=np.float64)
    n = len(config.joint_names)
    if positions.ndim == 0 or positions.shape[-1] != n:
        raise ValueError(f"positions must have shape [..., {n}], got {positions.shape}")
    finite = np.isfinite(positions).all(axis=-1)
    clean = np.where(finite[..., None], positions, 0.0)

    pairs, _ = _capsule_geometry(config.arm.kinematics, config.mounts)
    origins = _world_origins(config, clean)  # [..., 2, 8, 3]
    # Coordinate first, steps last: [3, 2 arms, 8 frames, N steps]. Left segments then go along one
    # axis and right segments along the next, so every left × right pair of every step is one pass
    # of whole-array operations over [n_seg, n_seg, N] whose innermost (contiguous) axis is the steps.
    origins = np.transpose(origins.reshape(-1, *origins.shape[-3:]), (3, 1, 2, 0))
    starts = origins[:, :, pairs[:, 0]]
    directions = origins[:, :, pairs[:, 1]] - starts
    centre = _segment_distance_xyz(
        starts[:, 0, :, None], directions[:, 0, :, None], starts[:, 1, None, :], directions[:, 1, None, :], points=False
    )
    surface = centre.min(axis=(0, 1)).reshape(finite.shape) - 2.0 * config.arm.kinematics.link_radius_m
    return np.where(finite, surface, NON_FINITE_DISTANCE)


def check_plan_clearance(config: EmbodimentConfig, positions: np.ndarray) -> ClearanceResult:
    """Closest approach of the two arms over a plan `positions` [T, 14] (T >= 1).

    `ok` is False when the arms come closer than `config.safety.arm_clearance_m` at any step, or when
    any step is not finite (then `min_distance_m` is -inf and `step` is the first such step).
    """
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[0] == 0:
        raise ValueError(f"positions must have shape [T, {len(config.joint_names)}] with T >= 1, got {positions.shape}")
    distances = arm_distance(config, positions)
    step = int(np.argmin(distances))
    min_distance = float(distances[step])
    ok = bool(min_distance >= config.safety.arm_clearance_m)
    return ClearanceResult(min_distance_m=min_distance, step=step, ok=ok)
