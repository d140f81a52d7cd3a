"""Arms: one interface, typed configs, a factory with a registry, a bimanual pair, implementations.

    from eva_core.devices.arms import PiperArmConfig, make_bimanual
    bi = make_bimanual({"left": PiperArmConfig(channel="can_left"),
                        "right": PiperArmConfig(channel="can_right")}, embodiment)

    arm.py        Arm (ABC): connect, enable, read_state, send (through the command guard), hold,
                  emergency_stop/resume, disable; ArmState, ArmFault, the errors
    configs.py    ArmConfig and one frozen config per implementation (`type` string)
    factory.py    make_arm, arm_config_from_dict, register_arm (+ `eva.arms` plug-ins)
    bimanual.py   BimanualArm / make_bimanual: two single arms, left_/right_ prefixes, 14-D in/out
    piper/        the PiPER through piper_sdk; SDK unit conversions at this boundary only
The MuJoCo `sim` arm lives in eva_sim and registers itself through the entry-point group; so does the
PiPER CAN emulator (eva_sim.can_emulator) that the `piper` arm talks to with `can_interface: virtual`.
"""

from eva_core.devices.arms.arm import (
    ARM_DOF,
    Arm,
    ArmEnableError,
    ArmError,
    ArmFault,
    ArmFaultError,
    ArmNotConnectedError,
    ArmNotEnabledError,
    ArmState,
    arm_limits,
)
from eva_core.devices.arms.bimanual import BimanualArm, BimanualState, make_bimanual
from eva_core.devices.arms.configs import ArmConfig, PiperArmConfig
from eva_core.devices.arms.factory import (
    ENTRY_POINT_GROUP,
    arm_config_from_dict,
    arm_types,
    make_arm,
    register_arm,
    unregister_arm,
)

__all__ = [
    "ARM_DOF",
    "ENTRY_POINT_GROUP",
    "Arm",
    "ArmConfig",
    "ArmEnableError",
    "ArmError",
    "ArmFault",
    "ArmFaultError",
    "ArmNotConnectedError",
    "ArmNotEnabledError",
    "ArmState",
    "BimanualArm",
    "BimanualState",
    "PiperArmConfig",
    "arm_config_from_dict",
    "arm_limits",
    "arm_types",
    "make_arm",
    "make_bimanual",
    "register_arm",
    "unregister_arm",
]
