"""DatasetSchema: validation with field-named errors, and the round trip through info.json."""

from __future__ import annotations

import json

import pytest

from eva_core.config import ConfigError
from eva_core.data import DatasetSchema, VideoCodec, VideoConfig

NAMES = [f"j{i}" for i in range(14)]


def test_schema_round_trips_through_info_json(joint_names):
    schema = DatasetSchema.build(16.0, {"cam_high": (480, 640), "cam_left_wrist": (240, 320)}, joint_names,
                                 robot_type="piper_bimanual", video=VideoConfig.lossless())
    assert schema.fps == 16 and schema.dim == 14
    info = json.loads(json.dumps(schema.info(total_episodes=0, total_frames=0, total_tasks=0)))
    assert DatasetSchema.from_info(info) == schema
    assert info["features"]["observation.images.cam_left_wrist"]["shape"] == [240, 320, 3]
    assert info["features"]["observation.images.cam_high"]["info"]["video.pix_fmt"] == "gbrp"


def test_reads_other_v3_writers_image_shapes():
    info = DatasetSchema.build(30, {"top": (96, 128)}, NAMES).info(0, 0, 0)
    feat = info["features"]["observation.images.top"]
    feat["shape"], feat["names"] = [3, 96, 128], ["channels", "height", "width"]
    del info["eva"]
    schema = DatasetSchema.from_info(info)
    assert schema.camera("top").shape == (96, 128, 3)
    assert schema.video == VideoConfig()


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"fps": 15.5}, "fps"),
        ({"fps": 0}, "fps"),
        ({"cameras": {}}, "cameras"),
        ({"cameras": {"cam/high": (24, 32)}}, "cameras"),
        ({"cameras": {"cam_high": (23, 32)}}, "cameras.cam_high"),  # odd size with yuv420p
        ({"cameras": {"cam_high": (24, 32, 3)}}, "cameras.cam_high"),
        ({"cameras": {"cam_high": (0, 32)}, "video": VideoConfig.lossless()}, "cameras.cam_high.height"),
        ({"joint_names": []}, "joint_names"),
        ({"joint_names": ["a", "a"]}, "joint_names"),
        ({"video": "h264"}, None),
    ],
)
def test_bad_schemas_name_the_field(kwargs, key):
    args = {"fps": 16, "cameras": {"cam_high": (24, 32)}, "joint_names": NAMES, **kwargs}
    with pytest.raises((ConfigError, AttributeError)) as err:
        DatasetSchema.build(**args)
    if key is not None:
        assert isinstance(err.value, ConfigError) and err.value.key == key


def test_odd_sizes_are_fine_losslessly():
    schema = DatasetSchema.build(16, {"cam_high": (23, 31)}, NAMES, video=VideoConfig.lossless())
    assert schema.video.codec is VideoCodec.H264_LOSSLESS


@pytest.mark.parametrize("kwargs, key", [({"crf": 60}, "video.crf"), ({"preset": "turbo"}, "video.preset"),
                                         ({"gop": 0}, "video.gop"), ({"preset": "10"}, "video.preset"),
                                         ({"codec": VideoCodec.AV1, "preset": "veryfast"}, "video.preset"),
                                         ({"codec": VideoCodec.AV1, "preset": "10", "crf": 64}, "video.crf")])
def test_bad_video_config(kwargs, key):
    with pytest.raises(ConfigError) as err:
        VideoConfig(**kwargs)
    assert err.value.key == key


def test_av1_config_and_schema(joint_names):
    config = VideoConfig.av1(crf=40)  # above x264's range, within SVT-AV1's
    assert (config.encoder, config.codec_name, config.stored_pix_fmt) == ("libsvtav1", "av1", "yuv420p")
    schema = DatasetSchema.build(16, {"cam_high": (480, 640)}, joint_names, video=config)
    info = json.loads(json.dumps(schema.info(total_episodes=0, total_frames=0, total_tasks=0)))
    assert DatasetSchema.from_info(info).video == config
    assert info["features"]["observation.images.cam_high"]["info"]["video.codec"] == "av1"
    with pytest.raises(ConfigError) as err:  # yuv420p needs even sizes, whatever the codec
        DatasetSchema.build(16, {"cam_high": (23, 32)}, joint_names, video=config)
    assert err.value.key == "cameras.cam_high"
