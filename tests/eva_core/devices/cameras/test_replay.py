"""Replay camera on a small dataset written in the test; time is stepped with an injected clock."""

import numpy as np
import pytest

from eva_core.data import DatasetWriter, VideoConfig
from eva_core.devices.cameras import (
    CameraNotConnectedError,
    CameraNotFoundError,
    ReplayCameraConfig,
    StaleFrameError,
)
from eva_core.devices.cameras.replay.camera_replay import ReplayCamera

T, H, W, FPS = 6, 32, 48, 10


class Clock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay") / "ds"
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (T, H, W, 3), dtype=np.uint8)
    stamps = [0.0, 0.1, 0.2, 0.35, 0.4, 0.5]  # one late frame: replay must follow the recording
    with DatasetWriter.create(root, fps=FPS, cameras={"cam_high": (H, W)}, joint_names=["j"],
                              video=VideoConfig.lossless()) as w:
        w.begin_episode("t")
        for img, t in zip(images, stamps):
            w.add_frame({"cam_high": img}, [0.0], [0.0], timestamp=t)
        w.end_episode(success=True)
    return root, images, np.array(stamps)


def _cam(root, clock, **kw):
    return ReplayCamera(ReplayCameraConfig(dataset=root, camera="cam_high", **kw), "cam_high", clock=clock)


def test_frames_follow_recorded_timestamps(dataset):
    root, images, stamps = dataset
    clock = Clock()
    with _cam(root, clock) as cam:
        for k, t in enumerate(stamps):
            clock.t = 100.0 + t + 0.01
            f = cam.read_latest(max_age_s=0.05)
            assert f.frame_number == k
            assert f.timestamp_s == pytest.approx(t, abs=1e-6)
            assert f.host_time_s == pytest.approx(100.0 + t)
            np.testing.assert_array_equal(f.image, images[k])
        clock.t = 100.0 + 0.3  # between frames 2 (0.2) and 3 (0.35)
        assert cam.read_latest(0.2).frame_number == 2


def test_stale_when_clock_runs_past_the_last_frame(dataset):
    root, _, stamps = dataset
    clock = Clock()
    cam = _cam(root, clock)
    with pytest.raises(CameraNotConnectedError):
        cam.read_latest(0.1)
    cam.connect()
    clock.t += stamps[-1] + 0.2
    assert cam.read_latest(max_age_s=0.25).frame_number == T - 1  # age 0.2 <= 0.25
    with pytest.raises(StaleFrameError, match=r"200\.0 ms old, limit 100\.0 ms"):
        cam.read_latest(max_age_s=0.1)
    cam.disconnect()
    with pytest.raises(CameraNotConnectedError):
        cam.read_latest(0.1)


def test_staleness_boundary_is_inclusive(dataset):
    root, _, _ = dataset
    clock = Clock(0.0)
    with _cam(root, clock, rate_hz=4.0) as cam:  # frames at 0, 0.25, 0.5 ...: exact in binary
        clock.t = 0.125
        assert cam.read_latest(max_age_s=0.125).frame_number == 0
        with pytest.raises(StaleFrameError):
            cam.read_latest(max_age_s=0.0625)
        with pytest.raises(ValueError):
            cam.read_latest(max_age_s=0)


def test_loop_and_rate(dataset):
    root, images, _ = dataset
    clock = Clock(0.0)
    with _cam(root, clock, loop=True, rate_hz=5.0) as cam:
        clock.t = (T + 2) / 5.0 + 0.01  # second pass, frame 2
        f = cam.read_latest(0.1)
        assert f.frame_number == T + 2
        np.testing.assert_array_equal(f.image, images[2])
        assert f.host_time_s == pytest.approx((T + 2) / 5.0)


def test_missing_camera_or_episode(dataset, tmp_path):
    root, _, _ = dataset
    with pytest.raises(CameraNotFoundError, match=r"'cam_left_wrist' not found; dataset .* has cameras: 'cam_high'"):
        ReplayCamera(ReplayCameraConfig(dataset=root, camera="cam_left_wrist")).connect()
    with pytest.raises(CameraNotFoundError, match="episode 3"):
        _cam(root, Clock(), episode=3).connect()
    with pytest.raises(CameraNotFoundError, match="not a dataset"):
        _cam(tmp_path, Clock()).connect()
