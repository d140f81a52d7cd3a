"""MuJoCo twin of the bimanual PiPER platform."""

import os

# Without a display MuJoCo's default GL backend fails; EGL renders off-screen on the CPU (Mesa
# llvmpipe). Set before mujoco is imported anywhere in the package; an explicit choice is kept.
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")
