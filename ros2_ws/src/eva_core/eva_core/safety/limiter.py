"""Joint limits in discrete time: the one kernel both safety layers (plan and command) run.

Model. Positions are sampled every `dt`; velocity and acceleration are the finite differences the
executability reward uses,

    v_t = (q_t - q_{t-1}) / dt,        a_t = (v_t - v_{t-1}) / dt,

where q_{-1}, v_{-1} are the previous state (the measured state for a plan, the last command sent for
the command guard). The limits are |v_t| <= v_max, |a_t| <= a_max and q_min <= q_t <= q_max, per
dimension. With dv = a_max·dt, the acceleration limit is |v_t - v_{t-1}| <= dv.

Each step chooses a velocity within three bands:

  B  braking:       after this step the joint can still stop before either position limit with
                    |a| <= a_max (this contains "the step itself stays within the limits");
  V  velocity:      |v| <= v_max;
  A  acceleration:  |v - v_{t-1}| <= dv.

A desired velocity inside all three is used as is, so the desired position comes out bit for bit.
Otherwise the chosen velocity is clamped into A, then into B ∩ V (the "speed caps"), and the position
is clipped to the limits last: when A and B ∩ V overlap that is the nearest allowed velocity; when they
do not, B ∩ V wins. What is clamped is, after the first step, an *approach velocity* that catches up
with the desired trajectory without overshooting it (see `StepLimiter.step_lists`); that only shapes
how a corrected plan rejoins the desired one: the guarantees below hold whatever is clamped.

Braking bound (exact for finite differences). Braking as hard as allowed from v > 0 goes
v - dv, v - 2dv, ..., then 0: the positions after the step that moves at v cover
s(v) = dt·(n·v - dv·n(n+1)/2) with n = floor(v/dv). So v is allowed when f(v) = dt·v + s(v) <= d, d the
distance to the limit. f is continuous, increasing, piecewise linear and convex, with f(n·dv) =
dt·dv·n(n+1)/2, which inverts to

    v_brake(d) = d / (dt·(n+1)) + dv·n/2,   n = floor((sqrt(1 + 8·d/(dt·dv)) - 1) / 2).

(The continuous-time sqrt(2·a·d) is not this bound: it allows too much at a coarse dt. Near a rounding
boundary of n both neighbouring pieces give the same value, so the floor needs no correction.)

Why the bands always overlap. Call a state (q, v) *feasible* when q is within the limits, |v| <= v_max
and s(|v|) <= the distance to the limit it moves toward. From a feasible state the braking choice
v' = v moved toward 0 by at most dv lies in all three bands (s(v) = dt·v' + s(v')), and every velocity
in B leads to a feasible state again. So from a feasible state every step meets all the limits,
whatever the desired positions are: the guarantee does not depend on the input. From an infeasible
state (only a measured state can be one) the acceleration limit gives way first and the position clip
keeps the position limits from the first step on in every case.

Rounding: positions are clipped to the limits after each step and the velocity carried forward is the
finite difference of the positions actually emitted, so the checks above hold to within a few ulps.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from eva_core.embodiment.limits import JointLimits
from eva_core.safety import report as codes

# Stop-distance slack (rad) when judging whether a measured state is feasible: a state that came out
# of this filter is feasible up to rounding and must not be rejected for it.
FEASIBILITY_SLACK = 1e-9


class StepLimiter:
    """The per-step limit kernel for one sampling period `dt` (s); see the module docstring.

    Two implementations of the same arithmetic: `step_lists` filters one step on plain Python floats
    (on 14 numbers that is several times faster than numpy, whose per-call overhead dominates), and
    `speed_caps` / `choose_velocity` evaluate the same bounds on whole [T, 14] arrays, to recognise a
    plan that needs no change at all in one pass. Both give the same floats: same operations, same
    order, IEEE double arithmetic.
    """

    def __init__(self, limits: JointLimits, dt: float):
        if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
            raise ValueError(f"dt must be a positive number of seconds, got {dt!r}")
        self.limits = limits
        self.dt = float(dt)
        self.inv_dt = 1.0 / self.dt
        self.q_min = limits.position_min
        self.q_max = limits.position_max
        self.v_max = limits.velocity_max
        self.dv = limits.acceleration_max * self.dt  # largest velocity change per step
        self._c2 = 2.0 / (self.dt * self.dv)
        self._e = 0.25 / self._c2  # c2·(d + e) = 2·d/(dt·dv) + 1/4
        self._half_dv = 0.5 * self.dv
        # Beyond this distance from a limit the braking speed exceeds v_max (with a margin far above
        # rounding), so the cap is v_max itself: the scalar kernel skips the square root there.
        self._far = (self.dt * self.v_max + self.stop_distance(self.v_max)) * (1 + 1e-6) + 1e-12
        # Constants for both directions at once ([28]: toward q_max, then toward q_min), as arrays:
        # numpy's array-array operations are cheaper than array-scalar ones.
        two = lambda x: np.tile(np.broadcast_to(x, (self.dof,)), 2)  # noqa: E731
        self._zero2 = two(0.0)
        self._c2_2 = two(self._c2)
        self._e2 = two(self._e)
        self._half2 = two(0.5)
        self._dt2 = two(self.dt)
        self._half_dv2 = two(self._half_dv)
        self._v_max2 = two(self.v_max)
        # The scalar kernel's constants, one tuple per dimension.
        self._dims = tuple(
            zip(
                *(
                    a.tolist()
                    for a in (self.q_min, self.q_max, self.v_max, self.dv, self._c2, self._e, self._half_dv, self._far)
                )
            )
        )

    @property
    def dof(self) -> int:
        return self.limits.dof

    # -- bounds, on arrays ------------------------------------------------------------------------

    def braking_speed(self, distance: np.ndarray) -> np.ndarray:
        """Largest speed (>= 0) toward a limit `distance` [..., 14] away that can still stop before it.

        "Stop before it" counts the step taken at that speed: q + v·dt + s(v) <= limit. Negative
        distances (already beyond the limit) give 0.
        With m = n + 1 = floor(sqrt(2·d/(dt·dv) + 1/4) + 1/2): v = d/(dt·m) + dv·(m - 1)/2.
        """
        d = np.maximum(distance, 0.0)
        m = np.floor(np.sqrt(self._c2 * (d + self._e)) + 0.5)
        return d / (self.dt * m) + self._half_dv * m - self._half_dv

    def stop_distance(self, speed: np.ndarray) -> np.ndarray:
        """Distance covered while braking from `speed` (>= 0) to rest, not counting the current step."""
        speed = np.maximum(speed, 0.0)
        n = np.floor(speed / self.dv)
        return self.dt * (n * speed - self.dv * n * (n + 1.0) * 0.5)

    def speed_caps(self, q_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) velocity allowed from positions q_prev [..., 14] by the braking (B) and
        velocity (V) bands: `braking_speed` toward each limit (the same arithmetic), capped at v_max.

        Always low <= 0 <= high. A position beyond a limit gets a cap of 0 toward it (the final clip
        of a step brings the next position back within the limits).
        """
        n = self.dof
        d = np.concatenate((self.q_max - q_prev, q_prev - self.q_min), axis=-1)
        d = np.maximum(d, self._zero2)
        m = np.floor(np.sqrt(self._c2_2 * (d + self._e2)) + self._half2)
        u = np.minimum(d / (self._dt2 * m) + self._half_dv2 * m - self._half_dv2, self._v_max2)
        return -u[..., n:], u[..., :n]

    def choose_velocity(self, q_prev: np.ndarray, v_prev: np.ndarray, v_desired: np.ndarray) -> np.ndarray:
        """The allowed velocity nearest to `v_desired` from states (q_prev, v_prev), on arrays.

        Clamps into the acceleration band A first, then into the braking/velocity caps: when the two
        overlap that is the nearest point of their intersection; when they do not (only from an
        infeasible state) the caps win and the acceleration limit gives way. fmax/fmin: a NaN is
        dropped, never passed on.
        """
        lo, hi = self.speed_caps(q_prev)
        v = np.fmin(np.fmax(v_desired, v_prev - self.dv), v_prev + self.dv)
        return np.fmin(np.fmax(v, lo), hi)

    # -- stepping, on floats ------------------------------------------------------------------

    def step_lists(
        self,
        q_prev: list[float],
        v_prev: list[float],
        q_desired: list[float],
        q_desired_prev: list[float] | None = None,
    ) -> tuple[list[float], list[float], bool]:
        """One step toward `q_desired` (finite floats) from (q_prev, v_prev): returns (q, v, unchanged).

        v is the finite difference of q; `unchanged` is True when q is `q_desired` bit for bit.
        Per dimension:

        - where the desired velocity is allowed (and, given the previous desired position, does not
          overshoot the desired trajectory, see below), the desired position is emitted unchanged;
        - elsewhere the allowed velocity nearest to the *approach velocity* is used. The desired
          trajectory is taken to move on at its last velocity w = (q_desired - q_desired_prev)/dt;
          relative to it the arm is e = q_desired_prev - q_prev behind, and the fastest relative speed
          that can still come to relative rest at e = 0 is the braking speed of |e| (the bound used for
          the position limits). So a jump or a lag is caught up as fast as the limits allow, without
          the overshoot and ringing of clamping toward each new target. On the trajectory (e = 0) the
          approach velocity is the desired velocity.
        - without a previous desired position (the first step), the allowed velocity nearest to the
          desired one.

        Positions are clipped to the limits last.
        """
        dt, inv_dt = self.dt, self.inv_dt
        q_out, v_out, unchanged = [], [], True
        for i, (q, vp, target, dim) in enumerate(zip(q_prev, v_prev, q_desired, self._dims)):
            vd = (target - q) * inv_dt
            x = _clamp(vd, q, vp, dim, dt)
            exact = x == vd
            if q_desired_prev is not None:
                previous = q_desired_prev[i]
                if not exact or q != previous:
                    error = previous - q
                    c2, e_c, hdv, v_max = dim[4], dim[5], dim[6], dim[2]
                    dist = min(abs(error), 1e6)  # far beyond any joint range: avoids overflow, same result
                    m = math.floor(math.sqrt(c2 * (dist + e_c)) + 0.5)
                    catch_up = dist / (dt * m) + hdv * m - hdv
                    toward = catch_up if error > 0.0 else -catch_up if error < 0.0 else 0.0
                    approach = (target - previous) * inv_dt + toward
                    # Faster toward the trajectory than the approach would overshoot it; the tolerance
                    # keeps rounding from turning an exact landing into endless ulp-sized corrections.
                    excess = vd - approach if error > 0.0 else approach - vd if error < 0.0 else 0.0
                    if exact and excess > 1e-9 * v_max:
                        exact = False
                    if not exact:
                        x = _clamp(approach, q, vp, dim, dt)
            if exact:
                q_new = target
            else:
                q_new = q + x * dt
                unchanged = False
            if q_new < dim[0]:
                q_new, unchanged = dim[0], False
            elif q_new > dim[1]:
                q_new, unchanged = dim[1], False
            q_out.append(q_new)
            v_out.append((q_new - q) * inv_dt)
        return q_out, v_out, unchanged

    def step(
        self, q_prev: np.ndarray, v_prev: np.ndarray, q_desired: np.ndarray, q_desired_prev: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """`step_lists` on [14] arrays: returns (q, v) as arrays."""
        q, v, _ = self.step_lists(
            np.asarray(q_prev, dtype=np.float64).tolist(),
            np.asarray(v_prev, dtype=np.float64).tolist(),
            np.asarray(q_desired, dtype=np.float64).tolist(),
            None if q_desired_prev is None else np.asarray(q_desired_prev, dtype=np.float64).tolist(),
        )
        return np.array(q), np.array(v)

    def brake_lists(self, q_prev: list[float], v_prev: list[float]) -> tuple[list[float], list[float]]:
        """One step of braking to rest as hard as the limits allow, then staying exactly put: a step
        toward the current position with no previous target (desired velocity 0)."""
        q, v, _ = self.step_lists(q_prev, v_prev, q_prev)
        return q, v

    # -- states -------------------------------------------------------------------------------

    def state_problems(self, q: np.ndarray, v: np.ndarray) -> list[str]:
        """Why a finite state (q, v) is not feasible (empty list: it is); reason codes as in report.py."""
        problems = []
        if np.any(q < self.q_min) or np.any(q > self.q_max):
            problems.append(codes.STATE_OUTSIDE_LIMITS)
        if np.any(np.abs(v) > self.v_max):
            problems.append(codes.STATE_VELOCITY_OVER_LIMIT)
        up = self.stop_distance(v) > self.q_max - q + FEASIBILITY_SLACK
        down = self.stop_distance(-v) > q - self.q_min + FEASIBILITY_SLACK
        if np.any(up | down):
            problems.append(codes.STATE_CANNOT_STOP)
        return problems


def snap_to_limits(q: np.ndarray, limits: JointLimits, tolerance: float) -> np.ndarray:
    """Measured positions up to `tolerance` outside a position limit moved onto it (encoder noise at a
    limit, e.g. the PiPER rest pose with J2 = J3 = 0); farther ones are left for `state_problems`."""
    lo, hi = limits.position_min, limits.position_max
    near = (q >= lo - tolerance) & (q <= hi + tolerance)
    return np.where(near, np.clip(q, lo, hi), q)


def _clamp(x: float, q: float, vp: float, dim: tuple, dt: float) -> float:
    """Velocity `x` clamped into the acceleration band around `vp`, then into the speed caps at
    position `q`: `StepLimiter.choose_velocity` for one dimension, float for float.

    Only the cap in the direction of the (acceleration-clamped) velocity can bind, since the caps
    always straddle 0; far from that limit (beyond `far`) the cap is v_max and the square root is
    skipped. A NaN becomes the acceleration band's lower edge (as numpy's fmax does).
    """
    q_lo, q_hi, v_max, dv, c2, e_c, hdv, far = dim
    if not x >= vp - dv:
        x = vp - dv
    if x > vp + dv:
        x = vp + dv
    if x > 0.0:
        d = q_hi - q
        if d < far:
            d = d if d > 0.0 else 0.0
            m = math.floor(math.sqrt(c2 * (d + e_c)) + 0.5)
            cap = d / (dt * m) + hdv * m - hdv
            if x > cap:
                x = cap
        if x > v_max:
            x = v_max
    elif x < 0.0:
        d = q - q_lo
        if d < far:
            d = d if d > 0.0 else 0.0
            m = math.floor(math.sqrt(c2 * (d + e_c)) + 0.5)
            cap = d / (dt * m) + hdv * m - hdv
            if x < -cap:
                x = -cap
        if x < -v_max:
            x = -v_max
    return x


@lru_cache(maxsize=16)
def limiter_for(limits: JointLimits, dt: float) -> StepLimiter:
    """A shared `StepLimiter` per (limits, dt): building one costs more than filtering a smooth plan.

    Limits compare by identity (they are frozen, read-only arrays), so each embodiment's limits get
    their own entry; the cache keeps at most a handful.
    """
    return StepLimiter(limits, dt)


def limit_trajectory(
    q0: np.ndarray, v0: np.ndarray | None, desired: np.ndarray, dt: float, limits: JointLimits
) -> np.ndarray:
    """`filter(current, desired, dt, limits)` for a whole trajectory of finite positions.

    q0, v0: the state before the first step ([14]; v0 None = at rest); desired: [T, 14] finite.
    Returns the limited positions [T, 14]. Steps are filtered in sequence; the common case of a plan
    that already respects every limit is recognised with one vectorised check and returned as a copy.
    """
    limiter = limiter_for(limits, float(dt))
    q0 = np.asarray(q0, dtype=np.float64)
    v0 = np.zeros_like(q0) if v0 is None else np.asarray(v0, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    out = desired.copy()
    if len(desired) == 0:
        return out
    # Vectorised check of the plan as given: states before each step and the velocity of each step.
    q_prev = np.concatenate([q0[None], desired[:-1]])
    v_desired = (desired - q_prev) * limiter.inv_dt
    v_prev = np.concatenate([v0[None], v_desired[:-1]])
    v = limiter.choose_velocity(q_prev, v_prev, v_desired)
    fine = (v == v_desired) & (desired >= limiter.q_min) & (desired <= limiter.q_max)
    rows_fine = fine.all(axis=1)
    if rows_fine.all():
        return out
    # Everything before the first violation is emitted as is; filter step by step from there. The
    # desired position before the first step is the state itself.
    first = int(np.argmin(rows_fine))
    rows = q_prev.tolist() + desired[-1:].tolist()  # rows[t] = desired[t - 1] (q0 for t = 0)
    q, v = rows[first], v_prev[first].tolist()
    for t in range(first, len(desired)):
        q, v, _ = limiter.step_lists(q, v, rows[t + 1], rows[t])
        out[t] = q
    return out


def brake_to_rest(q0: np.ndarray, v0: np.ndarray | None, steps: int, dt: float, limits: JointLimits) -> np.ndarray:
    """`steps` positions [steps, 14] braking from (q0, v0) to rest as hard as the limits allow, then
    holding exactly still. From a feasible state every limit holds; from an infeasible one positions
    still stay within limits (see the module docstring)."""
    limiter = limiter_for(limits, float(dt))
    q = np.asarray(q0, dtype=np.float64).tolist()
    v = [0.0] * len(q) if v0 is None else np.asarray(v0, dtype=np.float64).tolist()
    out = np.empty((steps, len(q)))
    for t in range(steps):
        q, v = limiter.brake_lists(q, v)
        out[t] = q
        if not any(v):  # at rest (and within limits): every later step is the same
            out[t + 1 :] = q
            break
    return out


def limit_violations(
    q0: np.ndarray, v0: np.ndarray | None, positions: np.ndarray, dt: float, limits: JointLimits, rtol: float = 1e-9
) -> dict[str, int]:
    """Count the entries of `positions` [T, 14] that break a limit, by finite differences from the
    state (q0, v0) exactly as the guarantees are stated; 0 everywhere means the trajectory is safe.

    Returns {"non_finite", "position", "velocity", "acceleration"}: numbers of (step, dimension)
    entries. Each limit is allowed `rtol` of its own size for rounding. For checks in tests, in the
    simulator and on logs of what was sent.
    """
    positions = np.asarray(positions, dtype=np.float64)
    q0 = np.asarray(q0, dtype=np.float64)
    v0 = np.zeros_like(q0) if v0 is None else np.asarray(v0, dtype=np.float64)
    q = np.concatenate([q0[None], positions])
    v = np.diff(q, axis=0) / dt
    a = np.diff(np.concatenate([v0[None], v]), axis=0) / dt
    span = limits.position_max - limits.position_min
    with np.errstate(invalid="ignore", over="ignore"):
        return {
            "non_finite": int(np.count_nonzero(~np.isfinite(positions))),
            "position": int(
                np.count_nonzero(
                    ~(
                        (positions >= limits.position_min - rtol * span)
                        & (positions <= limits.position_max + rtol * span)
                    )
                )
            ),
            "velocity": int(np.count_nonzero(~(np.abs(v) <= limits.velocity_max * (1 + rtol)))),
            "acceleration": int(np.count_nonzero(~(np.abs(a) <= limits.acceleration_max * (1 + rtol)))),
        }
