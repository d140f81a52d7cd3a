"""Off-screen rendering of the twin's cameras on the CPU (MuJoCo through EGL + Mesa llvmpipe).

Set `MUJOCO_GL=egl` before `mujoco` is first imported (the Makefile and the test suite do); without a
display and without it, MuJoCo finds no GL context. Shadows and anti-aliasing are off by default: they
cost most of the CPU render time. One `mujoco.Renderer` (GL context + framebuffer) is kept per
resolution and shared by the cameras that use it; the first render at a resolution creates it.
"""

from __future__ import annotations

import mujoco
import numpy as np

from eva_sim.config import CameraConfig


class TwinRenderer:
    """Renders named cameras of one model at per-camera resolutions; returns uint8 [H, W, 3] RGB."""

    def __init__(self, model: mujoco.MjModel, cameras: tuple[CameraConfig, ...] = (), *, shadows: bool = False) -> None:
        self._model = model
        self._resolution = {c.name: (c.width, c.height) for c in cameras}
        self._renderers: dict[tuple[int, int], mujoco.Renderer] = {}
        self._option = mujoco.MjvOption()
        self._shadows = shadows

    def resolution(self, camera: str) -> tuple[int, int]:
        """(width, height) in px that `render(..., camera)` uses (320x240 unless configured)."""
        return self._resolution.get(camera, (320, 240))

    def render(self, data: mujoco.MjData, camera: str, *, out: np.ndarray | None = None) -> np.ndarray:
        """Image of `camera` for the state in `data` (which must be forwarded: `mj_forward` after qpos edits)."""
        if mujoco.mj_name2id(self._model, mujoco.mjtObj.mjOBJ_CAMERA, camera) < 0:
            names = [self._model.camera(i).name for i in range(self._model.ncam)]
            raise ValueError(f"no camera {camera!r} in the model; it has {names}")
        renderer = self._renderer(*self.resolution(camera))
        renderer.update_scene(data, camera=camera, scene_option=self._option)
        renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = self._shadows
        renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
        return renderer.render(out=out)

    def _renderer(self, width: int, height: int) -> mujoco.Renderer:
        key = (width, height)
        if key not in self._renderers:
            # The off-screen framebuffer must be at least as large as the image (read at context creation).
            vis = self._model.vis.global_
            vis.offwidth, vis.offheight = max(vis.offwidth, width), max(vis.offheight, height)
            self._renderers[key] = mujoco.Renderer(self._model, height=height, width=width)
        return self._renderers[key]

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()

    def __enter__(self) -> TwinRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
