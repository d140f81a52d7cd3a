"""PyAV encode/decode: the lossless codec is bit-exact, the default H.264 stays within a small error,
seeks land on the right frame, and missing frames are reported."""

from __future__ import annotations

import numpy as np
import pytest

from eva_core.data import Dataset, VideoCodec, VideoConfig, VideoError
from eva_core.data.video import VideoEncoder, decode_frames, probe, read_video


def _encode(path, frames, config, fps=16):
    enc = VideoEncoder(path, frames.shape[1], frames.shape[2], fps, config)
    for f in frames:
        enc.encode(f)
    enc.close()
    return path


def test_lossless_codec_reads_back_bit_exact(tmp_path):
    frames = np.random.default_rng(0).integers(0, 256, (20, 24, 32, 3), dtype=np.uint8)
    path = _encode(tmp_path / "v.mp4", frames, VideoConfig.lossless(gop=6))
    info = probe(path)
    assert (info.frames, info.height, info.width, info.codec, info.pix_fmt) == (20, 24, 32, "h264", "gbrp")
    np.testing.assert_array_equal(read_video(path, 16), frames)


@pytest.mark.parametrize("start, stop", [(0, 20), (7, 13), (6, 7), (19, 20), (5, None), (4, 4)])
def test_seek_lands_on_the_requested_frames(tmp_path, start, stop):
    frames = np.random.default_rng(1).integers(0, 256, (20, 24, 32, 3), dtype=np.uint8)
    path = _encode(tmp_path / "v.mp4", frames, VideoConfig.lossless(gop=6))
    got = read_video(path, 16, start, stop)
    np.testing.assert_array_equal(got, frames[start:stop])


def test_default_h264_is_close_on_camera_like_images(tmp_path, kit):
    """The default codec (H.264, yuv420p, crf 18) on a camera-like scene: frame count exact, pixels
    within a few levels on average. The 2x2 chroma subsampling smears saturated colour edges (a red
    block on grey is off by up to ~150 levels on its border pixels), hence the tail bound."""
    config = VideoConfig()
    assert config.codec is VideoCodec.H264
    frames = kit.make_episode(2, 16, smooth=True, cameras={"c": (96, 128)}).images["c"]
    path = _encode(tmp_path / "v.mp4", frames, config)
    assert probe(path).pix_fmt == "yuv420p"
    got = read_video(path, 16)
    assert got.shape == frames.shape
    err = np.abs(got.astype(int) - frames.astype(int))
    assert err.mean() < 2.5, err.mean()  # measured 1.8
    assert np.mean(err <= 10) > 0.97, np.mean(err <= 10)  # measured 0.98


def test_default_codec_dataset_round_trip(new_writer, kit):
    cams = {"cam_high": (96, 128)}
    writer = new_writer(cameras=cams, video=VideoConfig())
    ep = kit.make_episode(3, 10, cameras=cams, smooth=True)
    kit.write_episode(writer, ep)
    ds = Dataset(writer.root)
    read = ds.episode(0)
    np.testing.assert_array_equal(read.states, ep.states)  # parquet columns stay exact
    np.testing.assert_array_equal(read.actions, ep.actions)
    assert read.video("cam_high").shape == ep.images["cam_high"].shape
    assert np.abs(read.video("cam_high").astype(int) - ep.images["cam_high"]).mean() < 2.5
    assert ds.info["features"]["observation.images.cam_high"]["info"]["video.pix_fmt"] == "yuv420p"


def test_missing_frames_are_reported(tmp_path):
    frames = np.zeros((5, 24, 32, 3), np.uint8)
    path = _encode(tmp_path / "v.mp4", frames, VideoConfig.lossless())
    with pytest.raises(VideoError, match="ends after 5 frames, 8 were expected"):
        read_video(path, 16, 0, 8)
    with pytest.raises(ValueError, match="bad frame range"):
        list(decode_frames(path, 16, 3, 2))
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(VideoError, match="cannot open"):
        read_video(tmp_path / "bad.mp4", 16)
