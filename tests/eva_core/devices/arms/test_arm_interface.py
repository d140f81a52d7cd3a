"""The Arm base class (guard, fault latch, refusals) and the bimanual pair, over an in-memory arm.

The in-memory arm stands in for a device only to test the interface's own logic; the PiPER driver is
tested against the real SDK and the CAN emulator in tests/eva_sim/test_arm_piper_emulated.py."""

import numpy as np
import pytest

from eva_core.devices.arms import (
    Arm,
    ArmFault,
    ArmFaultError,
    ArmNotConnectedError,
    ArmNotEnabledError,
    ArmState,
    BimanualArm,
    arm_limits,
)
from eva_core.embodiment import load_embodiment

EMB = load_embodiment()


class MemoryArm(Arm):
    def __init__(self, name, q0):
        super().__init__(name, arm_limits(EMB, name), EMB.control_dt, EMB.safety.command_timeout_s)
        self.q = np.array(q0, dtype=float)
        self.written = []
        self.connected = False
        self.status = 0

    @property
    def is_connected(self):
        return self.connected

    def _connect(self):
        self.connected = True

    def _disconnect(self):
        self.connected = False

    def _enable(self, timeout_s):
        pass

    def _disable(self):
        pass

    def _read(self):
        return ArmState(self.q.copy(), self.now(), self.status, "NORMAL" if self.status == 0 else "EMERGENCY_STOP")

    def _write(self, q7):
        self.written.append(np.array(q7))
        self.q = np.array(q7)

    def _estop(self):
        self.status = 1

    def _resume(self, timeout_s):
        self.status = 0


def ready():
    return np.array(EMB.arm.ready_pose)


def test_send_returns_the_guarded_command_and_writes_exactly_it():
    arm = MemoryArm("left", ready())
    arm.connect()
    with pytest.raises(ArmNotEnabledError):
        arm.send(ready())
    arm.enable()
    far = ready() + np.array([1.0, 0, 0, 0, 0, 0, 0])  # 1 rad in one 5 ms tick: far over the limits
    sent = arm.send(far)
    assert arm.last_report.status == "clamped"
    assert np.array_equal(sent, arm.written[-1])
    lim = arm.limits
    assert abs(sent[0] - ready()[0]) <= lim.acceleration_max[0] * EMB.control_dt**2 + 1e-12
    for _ in range(3):
        arm.hold()
    assert arm.last_report.status == "hold"


def test_fault_refuses_commands_and_writes_nothing_until_cleared():
    arm = MemoryArm("right", ready())
    arm.connect()
    arm.enable()
    arm.send(ready())
    n = len(arm.written)
    assert arm._latch_fault(ArmFault("arm_status", "firmware reports COLLISION_OCCURRED", 0.0, 7))
    assert not arm._latch_fault(ArmFault("feedback_lost", "second", 0.0))  # first one stays
    with pytest.raises(ArmFaultError, match="COLLISION"):
        arm.send(ready())
    with pytest.raises(ArmFaultError):
        arm.hold()
    with pytest.raises(ArmFaultError):
        arm.enable()
    assert len(arm.written) == n
    assert arm.read_state().fault.kind == "arm_status"
    arm.resume()
    assert arm.fault is None
    arm.send(ready())
    assert len(arm.written) == n + 1


def test_emergency_stop_latches_before_telling_the_device():
    arm = MemoryArm("left", ready())
    with pytest.raises(ArmNotConnectedError):
        arm.emergency_stop()
    arm.connect()
    arm.enable()
    arm.emergency_stop()
    assert arm.status == 1 and arm.fault.kind == "emergency_stop"
    with pytest.raises(ArmFaultError):
        arm.send(ready())
    arm.resume()
    assert arm.status == 0 and arm.fault is None


def test_bimanual_prefixes_and_slices():
    left, right = MemoryArm("left", ready()), MemoryArm("right", ready() * 0.5)
    bi = BimanualArm({"right": right, "left": left}, EMB)
    assert bi.names[0] == "left_joint1" and bi.names[-1] == "right_gripper" and bi.dof == 14
    with bi:
        bi.enable()
        state = bi.read_state()
        assert np.array_equal(state.position[:7], ready()) and np.array_equal(state.position[7:], ready() * 0.5)
        q14 = state.position.copy()
        sent = bi.send(q14)
        assert np.array_equal(sent, q14)
        assert np.array_equal(left.written[-1], q14[:7]) and np.array_equal(right.written[-1], q14[7:])
        assert bi.to_named(sent)["right_gripper"] == q14[13]
        # one arm faulted: the whole command is refused, nothing sent to either arm
        right._latch_fault(ArmFault("feedback_lost", "silent", 0.0))
        n_left = len(left.written)
        with pytest.raises(ArmFaultError, match="right"):
            bi.send(q14)
        assert len(left.written) == n_left and set(bi.read_state().faults) == {"right"}
        held = bi.hold()
        assert len(left.written) == n_left + 1 and np.array_equal(held[7:], right.q)
        with pytest.raises(ValueError):
            bi.send(np.zeros(7))
    assert not left.is_connected and not right.is_connected


def test_bimanual_needs_both_arms():
    with pytest.raises(ValueError):
        BimanualArm({"left": MemoryArm("left", ready())}, EMB)
