"""Several named cameras connected, read and released together.

    with connect_cameras({"cam_high": cfg_a, "cam_left_wrist": cfg_b}) as cams:
        frames = cams.read_latest(max_age_s=0.1)     # {"cam_high": Frame, ...}

`connect` skips cameras already connected and tries every other one before giving up, so one error lists every missing serial at once;
on any failure it disconnects the cameras it had opened.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from eva_core.devices.cameras.camera import Camera, CameraError, CameraNotFoundError, Frame
from eva_core.devices.cameras.configs import CameraConfig
from eva_core.devices.cameras.factory import make_camera


class CameraSet(Mapping[str, Camera]):
    def __init__(self, cameras: Mapping[str, Camera]):
        self._cameras = dict(cameras)

    @classmethod
    def from_configs(cls, configs: Mapping[str, CameraConfig]) -> CameraSet:
        return cls({name: make_camera(config, name) for name, config in configs.items()})

    def __getitem__(self, name: str) -> Camera:
        return self._cameras[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cameras)

    def __len__(self) -> int:
        return len(self._cameras)

    @property
    def is_connected(self) -> bool:
        return all(cam.is_connected for cam in self._cameras.values())

    def connect(self) -> None:
        missing: list[str] = []
        found: set[str] = set()
        where: list[str] = []
        opened: list[Camera] = []
        try:
            for cam in self._cameras.values():
                if cam.is_connected:  # `with connect_cameras(...)` connects once, not twice
                    continue
                try:
                    cam.connect()
                except CameraNotFoundError as err:
                    missing += [s for s in err.missing if s not in missing]
                    found.update(err.found)
                    where.append(err.where)
                    continue
                opened.append(cam)
        except BaseException:
            self._release(opened)
            raise
        if missing:
            self._release(opened)
            places = sorted(set(where))
            raise CameraNotFoundError(missing, sorted(found), places[0] if len(places) == 1 else "found")

    def disconnect(self) -> None:
        self._release(list(self._cameras.values()))

    @staticmethod
    def _release(cameras: list[Camera]) -> None:
        errors: list[str] = []
        for cam in cameras:
            try:
                cam.disconnect()
            except CameraError as err:
                errors.append(f"{cam.name}: {err}")
        if errors:
            raise CameraError("disconnect failed: " + "; ".join(errors))

    def read_latest(self, max_age_s: float) -> dict[str, Frame]:
        """The newest frame of every camera; raises the first camera's error if any is stale."""
        return {name: cam.read_latest(max_age_s) for name, cam in self._cameras.items()}

    def __enter__(self) -> CameraSet:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()


def connect_cameras(configs: Mapping[str, CameraConfig]) -> CameraSet:
    """Build and connect named cameras; see `CameraSet.connect` for the error contract."""
    cams = CameraSet.from_configs(configs)
    cams.connect()
    return cams
