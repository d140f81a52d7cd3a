"""The real pyrealsense2 pipeline on recordings the tests make (software device + rs.recorder).
Nothing of pyrealsense2 is mocked; only the USB camera itself is absent."""

import time

import numpy as np
import pytest

pytest.importorskip("pyrealsense2")

from eva_core.devices.cameras import (  # noqa: E402
    CameraError,
    CameraNotConnectedError,
    CameraNotFoundError,
    RealSenseCameraConfig,
    StaleFrameError,
    StreamEndedError,
    connect_cameras,
    make_camera,
)
from eva_core.devices.cameras.realsense.camera_realsense import connected_serials, recorded_serial  # noqa: E402
from eva_core.devices.cameras.realsense.recording import write_recording  # noqa: E402

N, H, W, FPS = 8, 48, 64, 30


def _frames(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (N, H, W, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Two cameras, distinct serials, contents, timestamps and frame numbers."""
    root = tmp_path_factory.mktemp("rs")
    out = {}
    for serial, seed, t0, first in (("000111222", 1, 1.7e9, 100), ("333444555", 2, 1.7e9 + 0.004, 7)):
        images = _frames(seed)
        stamps = t0 + np.arange(N) / FPS
        numbers = list(range(first, first + N))
        path = write_recording(root / f"{serial}.db3", serial, images, stamps, numbers, fps=FPS)
        out[serial] = (path, images, stamps, numbers)
    return out


def _config(serial, path, **kw):
    return RealSenseCameraConfig(serial=serial, width=W, height=H, fps=FPS, recording=path, **kw)


def _drain(cam):
    got = []
    while True:
        try:
            got.append(cam.read_next(timeout_s=5.0))
        except StreamEndedError:
            return got


def test_recording_keeps_its_serial(recordings):
    for serial, (path, *_rest) in recordings.items():
        assert recorded_serial(path) == serial


def test_two_cameras_by_serial_return_frames_and_timestamps_as_recorded(recordings):
    configs = {f"cam_{s}": _config(s, p, playback_real_time=False) for s, (p, *_r) in recordings.items()}
    with connect_cameras(configs) as cams:
        for serial, (_path, images, stamps, numbers) in recordings.items():
            got = _drain(cams[f"cam_{serial}"])
            assert [f.frame_number for f in got] == numbers
            for f, image, stamp in zip(got, images, stamps):
                assert f.image.dtype == np.uint8 and f.image.shape == (H, W, 3)
                np.testing.assert_array_equal(f.image, image)
                assert f.timestamp_s == pytest.approx(stamp, abs=1e-6)
                assert f.depth is None
                assert not f.image.flags.writeable


def test_read_latest_after_playback_and_staleness(recordings):
    serial = "000111222"
    path, images, stamps, _ = recordings[serial]
    cam = make_camera(_config(serial, path), name="cam_high")  # real-time playback, like a live camera
    with pytest.raises(CameraNotConnectedError):
        cam.read_latest(1.0)
    with cam:
        deadline = time.monotonic() + 5
        while cam.frames_received == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        frame = cam.read_latest(max_age_s=5.0)
        # Recorded timestamps are from when the recording was made; freshness uses arrival time.
        assert np.min(np.abs(stamps - frame.timestamp_s)) < 1e-6
        k = int(np.argmin(np.abs(stamps - frame.timestamp_s)))
        np.testing.assert_array_equal(frame.image, images[k])
        assert abs(frame.host_time_s - time.time()) < 5.0
        time.sleep(0.05)
        with pytest.raises(StaleFrameError, match=r"ms old, limit 1\.0 ms"):
            cam.read_latest(max_age_s=0.001)
    assert not cam.is_connected


def test_depth_aligned_to_colour_in_millimetres(tmp_path):
    images = _frames(3)
    depth = (500 + 10 * np.arange(N))[:, None, None] * np.ones((N, H, W), np.uint16)
    path = write_recording(tmp_path / "d.db3", "777", images, 1.7e9 + np.arange(N) / FPS, fps=FPS,
                           depth=depth.astype(np.uint16))
    with make_camera(_config("777", path, depth=True, playback_real_time=False)) as cam:
        got = _drain(cam)
    # On a loaded CPU librealsense's syncer can hand out the first colour frame before its depth partner
    # is decoded; an unpaired frame cannot be aligned and is skipped (seen once in CI). Every later
    # frame must come, in order.
    numbers = [f.frame_number for f in got]
    assert numbers in (list(range(N)), list(range(1, N))), numbers
    for f in got:
        image, d = images[f.frame_number], depth[f.frame_number]
        np.testing.assert_array_equal(f.image, image)
        assert f.depth.dtype == np.uint16 and f.depth.shape == (H, W)
        valid = f.depth > 0  # alignment leaves holes at the borders
        assert valid.mean() > 0.8
        np.testing.assert_array_equal(f.depth[valid], d[valid])


def test_wrong_serial_in_recording_is_a_clear_error(recordings):
    path = recordings["000111222"][0]
    t0 = time.monotonic()
    with pytest.raises(CameraNotFoundError, match=r"'999' not found; recording .* holds: '000111222'") as err:
        make_camera(_config("999", path)).connect()
    assert err.value.missing == ("999",) and err.value.found == ("000111222",)
    assert time.monotonic() - t0 < 2.0


def test_camera_set_reports_every_missing_serial_at_once(recordings):
    (s1, (p1, *_)), (s2, (p2, *_)) = recordings.items()
    configs = {"a": _config("bad-1", p1), "b": _config(s2, p2), "c": _config("bad-2", p2)}
    with pytest.raises(CameraNotFoundError) as err:
        connect_cameras(configs)
    assert err.value.missing == ("bad-1", "bad-2")
    assert set(err.value.found) == {s1, s2}
    assert "'bad-1', 'bad-2'" in str(err.value)


def test_live_camera_missing_fails_fast_and_names_the_serials(recordings):
    if connected_serials():
        pytest.skip("a RealSense camera is attached")
    t0 = time.monotonic()
    with pytest.raises(CameraNotFoundError, match=r"serial '233522071234' not found; connected devices: none"):
        make_camera(RealSenseCameraConfig(serial="233522071234")).connect()
    assert time.monotonic() - t0 < 2.0  # pipeline.start() would take ~15 s


def test_recording_with_other_streams_is_a_clear_error(recordings):
    path = recordings["000111222"][0]
    cfg = RealSenseCameraConfig(serial="000111222", width=640, height=480, recording=path)
    with pytest.raises(CameraError, match=r"640x480 @ 30 Hz.*the recording has .*64x48"):
        make_camera(cfg).connect()


def test_missing_recording_file(tmp_path):
    with pytest.raises(CameraNotFoundError, match="does not exist"):
        make_camera(_config("1", tmp_path / "nope.db3")).connect()
