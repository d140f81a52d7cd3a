"""Cameras: one interface, typed configs, a factory with a registry, and implementations.

    from eva_core.devices.cameras import RealSenseCameraConfig, make_camera, connect_cameras
    with connect_cameras({"cam_high": RealSenseCameraConfig(serial="233522071234")}) as cams:
        frames = cams.read_latest(max_age_s=0.1)

    camera.py       Camera (ABC), Frame, the errors
    configs.py      CameraConfig and one frozen config per implementation (`type` string)
    factory.py      make_camera, camera_config_from_dict, register_camera (+ `eva.cameras` plug-ins)
    camera_set.py   CameraSet / connect_cameras: several cameras, all missing serials in one error
    realsense/      pyrealsense2: live by serial or from a recording; recording.py writes recordings
    replay/         plays a camera of a recorded dataset episode
The MuJoCo `sim` camera lives in eva_sim and registers itself through the entry-point group.
"""

from eva_core.devices.cameras.camera import (
    Camera,
    CameraError,
    CameraNotConnectedError,
    CameraNotFoundError,
    Frame,
    StaleFrameError,
    StreamEndedError,
)
from eva_core.devices.cameras.camera_set import CameraSet, connect_cameras
from eva_core.devices.cameras.configs import CameraConfig, RealSenseCameraConfig, ReplayCameraConfig
from eva_core.devices.cameras.factory import (
    ENTRY_POINT_GROUP,
    camera_config_from_dict,
    camera_types,
    make_camera,
    register_camera,
    unregister_camera,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Camera",
    "CameraConfig",
    "CameraError",
    "CameraNotConnectedError",
    "CameraNotFoundError",
    "CameraSet",
    "Frame",
    "RealSenseCameraConfig",
    "ReplayCameraConfig",
    "StaleFrameError",
    "StreamEndedError",
    "camera_config_from_dict",
    "camera_types",
    "connect_cameras",
    "make_camera",
    "register_camera",
    "unregister_camera",
]
