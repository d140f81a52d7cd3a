"""PyAV encode/decode: the lossless codec is bit-exact, the lossy ones (H.264 yuv420p, AV1) stay within
a small error, seeks land on the right frame, and missing frames or encoders are reported."""

from __future__ import annotations

import numpy as np
import pytest

from eva_core.data import Dataset, VideoCodec, VideoConfig, VideoError
from eva_core.data.video import VideoEncoder, decode_frames, encoder_available, probe, read_video


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


# mean absolute error bounds on the smooth test scene; measured 1.8 (H.264 crf 18) and 3.7 (AV1 crf 30)
@pytest.mark.parametrize("config, max_mean_error", [(VideoConfig(), 2.5), (VideoConfig.av1(), 5.0)],
                         ids=["h264_yuv420p", "av1"])
def test_lossy_codecs_dataset_round_trip(new_writer, kit, config, max_mean_error):
    """The codecs for real recordings (players, browsers and LeRobot's default decoders handle them):
    exact parquet columns, frames within a few levels, and info.json naming codec and pixel format."""
    if not encoder_available(config):
        pytest.skip(f"this FFmpeg has no {config.encoder} encoder")
    cams = {"cam_high": (96, 128)}
    writer = new_writer(cameras=cams, video=config)
    ep = kit.make_episode(4, 12, cameras=cams, smooth=True)
    kit.write_episode(writer, ep)
    ds = Dataset(writer.root)
    read = ds.episode(0)
    np.testing.assert_array_equal(read.states, ep.states)  # parquet columns stay exact
    np.testing.assert_array_equal(read.actions, ep.actions)
    video = read.video("cam_high")
    assert video.shape == ep.images["cam_high"].shape
    err = np.abs(video.astype(int) - ep.images["cam_high"])
    assert err.mean() < max_mean_error, err.mean()
    assert np.mean(err <= 20) > 0.94, np.mean(err <= 20)  # measured 0.99 and 0.96: errors sit on colour edges
    np.testing.assert_array_equal(read.video("cam_high", 7, 9), video[7:9])  # seeks agree with a full decode
    info = ds.info["features"]["observation.images.cam_high"]["info"]
    assert (info["video.codec"], info["video.pix_fmt"]) == (config.codec_name, "yuv420p")
    assert probe(read.video_path("cam_high")).pix_fmt == "yuv420p"


def test_missing_encoder_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(VideoConfig, "encoder", property(lambda self: "no_such_encoder"))
    assert not encoder_available(VideoConfig())
    with pytest.raises(VideoError, match="no no_such_encoder encoder"):
        VideoEncoder(tmp_path / "v.mp4", 24, 32, 16, VideoConfig())
