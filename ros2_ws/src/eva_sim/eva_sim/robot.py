"""`SimRobot`: the bimanual twin driven like the real platform, through the 14-D vector.

Vector layout as everywhere in EVA (`EmbodimentConfig.joint_names`): `[left_j1..j6, left_gripper,
right_j1..j6, right_gripper]`, joints in rad (SDK convention), grippers as normalised opening 0..1.

Commands behave like the PiPER firmware's joint mode: a command is clipped to the position limits, then
the servo set-point moves toward it no faster than `velocity_max` (per joint, from the embodiment) and
stiff position servos (gravity compensated) track the set-point. Time advances in 200 Hz control ticks
(`embodiment.control_rate_hz`), each `SimConfig.substeps` physics steps.

    twin = SimRobot()                       # default embodiment file, default SimConfig
    twin.reset(q14)                         # teleport, zero velocity, hold q14
    twin.command(target14); twin.step(duration_s=0.5)
    q = twin.state(); image = twin.render("cam_high")
    saved = twin.snapshot(); ...; twin.restore(saved)

The model (`twin.model`) and data (`twin.data`) are public for task code (objects, success checks).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from eva_core.embodiment import EmbodimentConfig, load_embodiment
from eva_sim.config import SimConfig
from eva_sim.model import build_spec, compile_model, finger_joint_names, gripper_actuator_name, joint_names
from eva_sim.render import TwinRenderer

_STATE_SPEC = mujoco.mjtState.mjSTATE_INTEGRATION  # everything mj_step reads: time, qpos, qvel, act, ctrl, warm start, ...


@dataclass(frozen=True, eq=False)
class TwinSnapshot:
    """Everything that determines the twin's future: MuJoCo's integration state and the servo set-points."""

    physics: np.ndarray  # mj_getState(..., mjSTATE_INTEGRATION)
    command: np.ndarray  # 14-D, the last accepted command
    setpoint: np.ndarray  # 14-D, where the rate-limited servo set-point is


class SimRobot:
    """Two PiPER arms, grippers, table and cameras in MuJoCo; see the module docstring."""

    def __init__(
        self,
        embodiment: EmbodimentConfig | None = None,
        config: SimConfig | None = None,
        *,
        spec: mujoco.MjSpec | None = None,
        model: mujoco.MjModel | None = None,
    ) -> None:
        """Build the twin. `spec`: a scene from `model.build_spec` with task objects added (default: the
        bare scene). `model`: an already compiled one (e.g. shared with another twin); wins over `spec`."""
        self.embodiment = embodiment or load_embodiment()
        self.config = config or SimConfig()
        if model is None:
            model = compile_model(spec if spec is not None else build_spec(self.embodiment, self.config))
        self.model = model
        self.data = mujoco.MjData(model)
        self.limits = self.embodiment.limits
        self.control_dt = self.embodiment.control_dt
        self._index(model)
        self._renderer: TwinRenderer | None = None
        self.rng = np.random.default_rng()
        self._command = np.zeros(self.limits.dof)
        self._setpoint = np.zeros(self.limits.dof)
        self.reset()

    def _index(self, model: mujoco.MjModel) -> None:
        """qpos/qvel addresses and actuator ids of every vector dimension."""
        emb = self.embodiment
        joint_q, joint_v, actuators, finger_q, finger_v = [], [], [], [], []
        for arm in emb.arm_names:
            for name in joint_names(emb, arm):
                joint = model.joint(name)
                joint_q.append(joint.qposadr[0])
                joint_v.append(joint.dofadr[0])
                actuators.append(model.actuator(name).id)
            actuators.append(model.actuator(gripper_actuator_name(emb, arm)).id)
            finger_q.append([model.joint(n).qposadr[0] for n in finger_joint_names(arm)])
            finger_v.append([model.joint(n).dofadr[0] for n in finger_joint_names(arm)])
        grippers = np.array(emb.gripper_indices)
        self._is_gripper = np.zeros(self.limits.dof, dtype=bool)
        self._is_gripper[grippers] = True
        self._joint_dims = np.flatnonzero(~self._is_gripper)
        self._gripper_dims = grippers
        self._joint_qadr, self._joint_vadr = np.array(joint_q), np.array(joint_v)
        self._finger_qadr, self._finger_vadr = np.array(finger_q), np.array(finger_v)  # [arm, finger]
        self._actuators = np.array(actuators)  # in vector order
        self._finger_travel = emb.arm.gripper.opening_max_m / 2  # m per finger at opening 1

    # ------------------------------------------------------------------------------------ commands

    def _checked(self, q14: np.ndarray, what: str) -> np.ndarray:
        q = np.asarray(q14, dtype=np.float64)
        if q.shape != (self.limits.dof,):
            raise ValueError(f"{what} must have shape ({self.limits.dof},) (see EmbodimentConfig.joint_names), got {q.shape}")
        if not np.all(np.isfinite(q)):
            raise ValueError(f"{what} has non-finite values at {np.flatnonzero(~np.isfinite(q)).tolist()}")
        return self.limits.clip_position(q)

    def command(self, q14: np.ndarray) -> np.ndarray:
        """Set the target of every joint and gripper; returns the command accepted (clipped to limits).

        The servo set-point then moves toward it at up to `velocity_max` per control tick (`step`).
        """
        self._command = self._checked(q14, "command")
        if not self.config.rate_limit:
            self._setpoint = self._command.copy()
        return self._command.copy()

    def step(self, ticks: int = 1, *, duration_s: float | None = None) -> np.ndarray:
        """Advance `ticks` control ticks (or `duration_s` seconds, rounded to ticks); returns `state()`."""
        if duration_s is not None:
            ticks = int(round(duration_s / self.control_dt))
        if ticks < 0:
            raise ValueError(f"ticks must be >= 0, got {ticks}")
        max_step = self.limits.velocity_max * self.control_dt
        for _ in range(ticks):
            if self.config.rate_limit:
                self._setpoint += np.clip(self._command - self._setpoint, -max_step, max_step)
            self._apply_setpoint()
            mujoco.mj_step(self.model, self.data, nstep=self.config.substeps)
        return self.state()

    def _apply_setpoint(self) -> None:
        ctrl = np.where(self._is_gripper, self._setpoint * self._finger_travel, self._setpoint)
        self.data.ctrl[self._actuators] = ctrl

    # ---------------------------------------------------------------------------------- state

    @property
    def time(self) -> float:
        """Simulated time in s since the last reset."""
        return float(self.data.time)

    def state(self) -> np.ndarray:
        """Measured 14-D position: joints in rad, grippers as normalised opening (finger separation / max)."""
        out = np.empty(self.limits.dof)
        out[self._joint_dims] = self.data.qpos[self._joint_qadr]
        out[self._gripper_dims] = self.data.qpos[self._finger_qadr].sum(axis=1) / (2 * self._finger_travel)
        return out

    def velocity(self) -> np.ndarray:
        """Measured 14-D velocity: rad/s for joints, normalised opening per s for grippers."""
        out = np.empty(self.limits.dof)
        out[self._joint_dims] = self.data.qvel[self._joint_vadr]
        out[self._gripper_dims] = self.data.qvel[self._finger_vadr].sum(axis=1) / (2 * self._finger_travel)
        return out

    @property
    def setpoint(self) -> np.ndarray:
        """Where the rate-limited servo set-point is now (14-D)."""
        return self._setpoint.copy()

    def reset(self, q14: np.ndarray | None = None, *, seed: int | None = None) -> np.ndarray:
        """Reset physics (time 0, objects back to their spec poses) with the arms at rest at `q14`.

        `q14` defaults to the SDK zero pose with closed grippers. `seed` re-seeds `self.rng`, the
        generator task code uses to place objects after a reset. Returns the accepted pose.
        """
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        mujoco.mj_resetData(self.model, self.data)
        q = self._checked(np.zeros(self.limits.dof) if q14 is None else q14, "reset pose")
        return self._teleport(q)

    def set_state_kinematic(self, q14: np.ndarray) -> np.ndarray:
        """Put the arms at `q14` at rest, no physics step (for fast rendering of given poses).

        The command and set-point become `q14` too, so a later `step` holds the pose. Returns the pose
        applied (clipped to limits).
        """
        return self._teleport(self._checked(q14, "pose"))

    def _teleport(self, q: np.ndarray) -> np.ndarray:
        data = self.data
        data.qpos[self._joint_qadr] = q[self._joint_dims]
        data.qpos[self._finger_qadr] = (q[self._gripper_dims] * self._finger_travel)[:, None]
        data.qvel[self._joint_vadr] = 0.0
        data.qvel[self._finger_vadr] = 0.0
        self._command, self._setpoint = q.copy(), q.copy()
        self._apply_setpoint()
        mujoco.mj_forward(self.model, data)
        return q.copy()

    def snapshot(self) -> TwinSnapshot:
        """A copy of the full state; `restore` brings this twin (or a `fork`) back to it exactly."""
        size = mujoco.mj_stateSize(self.model, _STATE_SPEC)
        physics = np.empty(size)
        mujoco.mj_getState(self.model, self.data, physics, _STATE_SPEC)
        return TwinSnapshot(physics=physics, command=self._command.copy(), setpoint=self._setpoint.copy())

    def restore(self, snapshot: TwinSnapshot) -> None:
        mujoco.mj_setState(self.model, self.data, snapshot.physics, _STATE_SPEC)
        self._command, self._setpoint = snapshot.command.copy(), snapshot.setpoint.copy()
        mujoco.mj_forward(self.model, self.data)

    def fork(self) -> SimRobot:
        """A second twin on the same compiled model, in the same state (for roll-outs that must not
        disturb this one). It renders with its own GL contexts."""
        twin = SimRobot(self.embodiment, self.config, model=self.model)
        twin.restore(self.snapshot())
        twin.rng = np.random.default_rng(self.rng.integers(2**63))
        return twin

    # -------------------------------------------------------------------------------- cameras

    @property
    def renderer(self) -> TwinRenderer:
        """The off-screen renderer, created on first use (physics-only users never open a GL context)."""
        if self._renderer is None:
            self._renderer = TwinRenderer(self.model, self.config.cameras, shadows=self.config.shadows)
        return self._renderer

    def render(self, camera: str = "cam_high") -> np.ndarray:
        """RGB image uint8 [H, W, 3] of `camera` at its configured resolution, of the current state."""
        # mj_step leaves body poses of the state before its last integration: bring them up to date.
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_camlight(self.model, self.data)
        return self.renderer.render(self.data, camera)

    def render_all(self) -> dict[str, np.ndarray]:
        """One image per configured camera, keyed by camera name."""
        return {camera.name: self.render(camera.name) for camera in self.config.cameras}

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __enter__(self) -> SimRobot:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
