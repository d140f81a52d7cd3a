"""The PiPER CAN emulator at frame level (raw python-can) and with the real piper_sdk."""

import struct
import time
import uuid

import can
import numpy as np
import pytest

from eva_core.devices.arms.piper import units
from eva_sim.can_emulator import (
    COLLISION,
    FIRMWARE_VERSION,
    JOINT_CTRL,
    FirstOrderMotion,
    PiperCanEmulator,
)


def channel():
    return f"can_test_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def rig():
    ch = channel()
    emu = PiperCanEmulator({"left": ch}, FirstOrderMotion()).start()
    bus = can.Bus(interface="virtual", channel=ch, receive_own_messages=False)
    yield emu, bus, emu.arms["left"]
    bus.shutdown()
    emu.stop()


def send(bus, arbitration_id, data):
    bus.send(can.Message(arbitration_id=arbitration_id, data=bytes(data).ljust(8, b"\0"), is_extended_id=False))


def latest(bus, arbitration_id, timeout=0.5):
    """The newest frame with this id that arrives within `timeout` (drains what is queued first)."""
    while bus.recv(0) is not None:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = bus.recv(0.05)
        if msg is not None and msg.arbitration_id == arbitration_id:
            return msg
    return None


def eventually(check, timeout=2.0):
    """True once check() is true (polled), False after `timeout`: the 2-core machine is shared."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def status(bus):
    return struct.unpack(">BBBBBBH", latest(bus, 0x2A1).data)


def joints(bus):
    out = []
    for fid in (0x2A5, 0x2A6, 0x2A7):
        out += struct.unpack(">ii", latest(bus, fid).data)
    return out


def enable_and_joint_mode(bus):
    send(bus, 0x471, [7, 0x02])
    send(bus, 0x151, [0x01, 0x01, 100, 0x00])
    assert eventually(lambda: status(bus)[0] == 0x01)


def test_feedback_at_200hz_with_every_frame_we_use(rig):
    emu, bus, _ = rig
    seen = {}
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.5:
        msg = bus.recv(0.05)
        if msg is not None:
            seen[msg.arbitration_id] = seen.get(msg.arbitration_id, 0) + 1
    expected = {0x2A1, 0x2A5, 0x2A6, 0x2A7, 0x2A8, *range(0x251, 0x257), *range(0x261, 0x267)}
    assert expected <= set(seen)
    assert 70 <= seen[0x2A5] <= 110  # 200 Hz for 0.5 s, generous for a loaded 2-core machine


def test_enable_bit_and_joint_targets_are_followed(rig):
    emu, bus, arm = rig
    low = latest(bus, 0x261)
    assert not low.data[5] & 0x40  # disabled at power-on
    target_mdeg = [20_000, 30_000, -25_000, 10_000, 5_000, -15_000]
    send(bus, 0x155, struct.pack(">ii", *target_mdeg[:2]))  # refused: not enabled
    time.sleep(0.05)
    assert max(abs(v) for v in joints(bus)) < 10
    enable_and_joint_mode(bus)
    assert latest(bus, 0x261).data[5] & 0x40
    assert status(bus)[0] == 0x01  # CAN command mode
    for i, fid in enumerate(JOINT_CTRL):
        send(bus, fid, struct.pack(">ii", *target_mdeg[2 * i: 2 * i + 2]))
    assert eventually(lambda: np.allclose(joints(bus), target_mdeg, atol=50))
    assert [f.arbitration_id for f in arm.commands(ids=JOINT_CTRL)][-3:] == list(JOINT_CTRL)


def test_gripper_target_needs_the_enable_code(rig):
    emu, bus, _ = rig
    send(bus, 0x159, struct.pack(">ihBB", 50_000, 1000, 0x00, 0))  # disabled gripper: ignored
    time.sleep(0.1)
    assert struct.unpack(">ihB", latest(bus, 0x2A8).data[:7])[0] < 100
    send(bus, 0x159, struct.pack(">ihBB", 50_000, 1000, 0x01, 0))

    def opened():
        angle, _, code = struct.unpack(">ihB", latest(bus, 0x2A8).data[:7])
        return abs(angle - 50_000) < 100 and code & 0x40

    assert eventually(opened)


def test_over_limit_target_sets_status_4_and_the_arm_stops(rig):
    emu, bus, _ = rig
    enable_and_joint_mode(bus)
    send(bus, 0x155, struct.pack(">ii", 170_000, 0))  # J1 limit is about ±150°
    assert eventually(lambda: status(bus)[1] == 0x04)
    code, err = status(bus)[1], status(bus)[6]
    assert code == 0x04 and err & (1 << 8)
    send(bus, 0x155, struct.pack(">ii", 10_000, 10_000))  # ignored while in error
    time.sleep(0.05)
    assert max(abs(v) for v in joints(bus)) < 10
    send(bus, 0x150, [0x02])  # resume clears it, standby until a new 0x151
    assert eventually(lambda: status(bus)[1] == 0)
    st = status(bus)
    assert st[6] == 0 and st[0] == 0


def test_estop_and_injected_faults(rig):
    emu, bus, arm = rig
    enable_and_joint_mode(bus)
    send(bus, 0x155, struct.pack(">ii", 40_000, 40_000))
    time.sleep(0.02)
    send(bus, 0x150, [0x01])
    assert eventually(lambda: status(bus)[1] == 0x01)
    time.sleep(0.05)
    frozen = joints(bus)
    time.sleep(0.1)
    assert status(bus)[1] == 0x01 and np.allclose(joints(bus), frozen, atol=1)
    send(bus, 0x150, [0x02])
    assert eventually(lambda: status(bus)[1] == 0)  # the firmware processed the resume
    arm.set_error(COLLISION)
    assert status(bus)[1] == 0x07
    arm.clear_error()
    arm.stop_feedback()
    assert latest(bus, 0x2A1, timeout=0.1) is None
    arm.resume_feedback()
    assert latest(bus, 0x2A1) is not None


def test_stuck_joint_does_not_follow(rig):
    emu, bus, arm = rig
    enable_and_joint_mode(bus)
    arm.stick_joint(1)
    send(bus, 0x155, struct.pack(">ii", 20_000, 20_000))
    assert eventually(lambda: abs(joints(bus)[0] - 20_000) < 50)
    assert abs(joints(bus)[1]) < 10


def test_queries_and_leader_frames(rig):
    emu, bus, arm = rig
    send(bus, 0x4AF, [0x01])
    assert bytes(latest(bus, 0x4AF).data) == FIRMWARE_VERSION
    send(bus, 0x472, [2, 0x01])
    motor, max_deg10, min_deg10, vmax, _ = struct.unpack(">BhhHB", latest(bus, 0x473).data)
    assert motor == 2 and min_deg10 == 0 and max_deg10 > 1700 and vmax > 2000
    send(bus, 0x470, [0xFA, 0, 0, 0])  # leader: its position goes out as commands
    assert latest(bus, 0x155) is not None


def test_real_sdk_reads_the_emulator():
    from piper_sdk import C_PiperInterface_V2

    ch = channel()
    with PiperCanEmulator({"right": ch}, FirstOrderMotion(), start_pose={"right": np.full(7, 0.2)}):
        sdk = C_PiperInterface_V2(ch, judge_flag=False, can_auto_init=False)
        sdk.CreateCanBus(ch, bustype="virtual")
        sdk.ConnectPort()
        try:
            deadline = time.monotonic() + 2
            while sdk.GetPiperFirmwareVersion() == -0x4AF and time.monotonic() < deadline:
                time.sleep(0.01)
            assert sdk.GetPiperFirmwareVersion() == FIRMWARE_VERSION.decode()
            sdk.EnableArm(7, 0x02)
            while not all(sdk.GetArmEnableStatus()) and time.monotonic() < deadline:
                time.sleep(0.005)
            assert all(sdk.GetArmEnableStatus())
            js = sdk.GetArmJointMsgs().joint_state
            assert js.joint_1 == units.rad_to_mdeg(0.2)
            assert sdk.GetArmGripperMsgs().gripper_state.grippers_angle == units.opening_to_um(0.2, 0.07)
            assert sdk.GetArmStatus().arm_status.arm_status == 0
            assert sdk.GetAllMotorAngleLimitMaxSpd().all_motor_angle_limit_max_spd.motor[1].max_angle_limit > 0
        finally:
            sdk.DisconnectPort()
