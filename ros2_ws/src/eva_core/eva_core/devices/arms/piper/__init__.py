"""The AgileX PiPER through piper_sdk: `arm_piper.PiperArm`; SDK unit conversions in `units`.

piper_sdk is imported when an arm is connected, not when this package is imported."""

from eva_core.devices.arms.piper import units

__all__ = ["units"]
