"""Episode datasets in the LeRobotDataset v3 layout: parquet frames, one mp4 stream per camera,
`meta/info.json`, episodes, tasks and stats. Written and read with pyarrow and PyAV only.

    writer = DatasetWriter.create(root, fps=16, cameras={"cam_high": (480, 640)}, joint_names=names)
    writer.begin_episode(task); writer.add_frame(images, state, action); writer.end_episode(success=True)
    ds = Dataset(root); ds.episode(0).video("cam_high"); ds.idm_windows("cam_high", k=1); ds.clips(...)

Commits are atomic and crash-safe (see `eva_core.data.writer`); the layout is in `eva_core.data.features`.
"""

from eva_core.data.features import (
    CODEBASE_VERSION,
    CameraSpec,
    DatasetError,
    DatasetSchema,
    VideoCodec,
    VideoConfig,
    image_key,
)
from eva_core.data.reader import Dataset, Episode
from eva_core.data.stats import FeatureStats
from eva_core.data.video import VideoError
from eva_core.data.windows import Clip, IdmSample
from eva_core.data.writer import DatasetWriter

__all__ = [
    "CODEBASE_VERSION",
    "CameraSpec",
    "Clip",
    "Dataset",
    "DatasetError",
    "DatasetSchema",
    "DatasetWriter",
    "Episode",
    "FeatureStats",
    "IdmSample",
    "VideoCodec",
    "VideoConfig",
    "VideoError",
    "image_key",
]
