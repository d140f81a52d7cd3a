"""The optional Rerun live view records cameras, joints and plans into a .rrd file."""

import numpy as np

from eva.bringup.live_view import LiveView


def test_save_mode_writes_a_recording(tmp_path):
    names = [f"j{i}" for i in range(14)]
    assert LiveView.open("off", tmp_path, names) is None
    view = LiveView.open("save", tmp_path, names)
    view.camera("cam_high", 1.0, np.zeros((12, 16, 3), np.uint8))
    view.joints("measured", 1.0, np.arange(14.0))
    view.plan("plan-1", 1.0, np.zeros((3, 12, 16, 3), np.uint8), 16.0)
    view.rr.disconnect()  # flushes the file sink
    recording = tmp_path / "live.rrd"
    assert recording.is_file() and recording.stat().st_size > 1000
