"""One camera stream ↔ one mp4 file, through PyAV (FFmpeg).

Frame `i` of a stream has presentation time `i / fps`; decoding maps a frame back to its index from
that time, so a seek lands on the right frame whatever the container's time base. Decoded frames are
RGB `uint8 [H, W, 3]`. With `VideoCodec.H264_LOSSLESS` they equal what was encoded, bit for bit; with
`VideoCodec.H264` and `VideoCodec.AV1` (yuv420p) they are close: the chroma is subsampled 2x2 and
quantised at `crf`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from eva_core.data.features import VideoConfig


class VideoError(RuntimeError):
    """A video file is missing frames, unreadable, or not what the metadata says; or this FFmpeg build
    lacks the encoder a `VideoConfig` asks for."""


def encoder_available(config: VideoConfig) -> bool:
    """Whether PyAV's FFmpeg can encode `config` (SVT-AV1 is an optional part of an FFmpeg build)."""
    try:
        av.codec.Codec(config.encoder, "w")
    except ValueError:  # av's UnknownCodecError
        return False
    return True


class VideoEncoder:
    """Encodes RGB frames into an mp4 file as they arrive (memory stays at one frame per camera).

    The file is complete only after `close()`; a process killed before that leaves an unreadable
    file, which is why the writer encodes into a staging directory."""

    def __init__(self, path: str | Path, height: int, width: int, fps: int, config: VideoConfig):
        self.path = Path(path)
        self.height, self.width, self.fps = height, width, fps
        self.frames_written = 0
        if not encoder_available(config):
            raise VideoError(f"this FFmpeg (PyAV {av.__version__}) has no {config.encoder} encoder for "
                             f"{config.codec.value} video; choose another VideoConfig")
        self._container = av.open(str(self.path), mode="w", format="mp4")
        try:
            stream = self._container.add_stream(config.encoder, rate=fps, options=config.encoder_options)
            stream.width, stream.height = width, height
            stream.pix_fmt = config.input_pix_fmt
            stream.time_base = Fraction(1, fps)
            stream.codec_context.gop_size = config.gop
        except Exception:
            self._container.close()
            raise
        self._stream = stream

    def encode(self, frame: np.ndarray) -> None:
        """Append one RGB `uint8 [H, W, 3]` frame (checked by the caller)."""
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        vf.pts = self.frames_written
        vf.time_base = Fraction(1, self.fps)
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and write the mp4 index; the file is readable afterwards."""
        if self._container is None:
            return
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None

    def abort(self) -> None:
        """Close without flushing; the file is to be deleted."""
        if self._container is not None:
            try:
                self._container.close()
            except av.FFmpegError:
                pass
            self._container = None


@dataclass(frozen=True)
class VideoInfo:
    frames: int  # from the container's index; 0 when the container does not record it
    height: int
    width: int
    codec: str  # decoder name, e.g. "h264"
    pix_fmt: str  # as stored, e.g. "yuv420p" or "gbrp"


def probe(path: str | Path) -> VideoInfo:
    """Read a video's header (no decoding)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            return VideoInfo(int(stream.frames), ctx.height, ctx.width, ctx.name, ctx.pix_fmt)
    except (av.FFmpegError, IndexError) as err:
        raise VideoError(f"{path}: cannot read video header: {err}") from None


def decode_frames(path: str | Path, fps: int, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
    """Yield RGB `uint8 [H, W, 3]` frames `start, start+1, ..., stop-1` (stop=None: to the end).

    Seeks to the keyframe at or before `start`, so the cost is at most one GOP of extra decoding.
    Raises `VideoError` when a frame in the range is missing (a gap, or the file ends early while a
    `stop` was given)."""
    if start < 0 or (stop is not None and stop < start):
        raise ValueError(f"bad frame range [{start}, {stop})")
    if stop is not None and stop == start:
        return
    try:
        container = av.open(str(path))
    except av.FFmpegError as err:
        raise VideoError(f"{path}: cannot open video: {err}") from None
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if start > 0:
            container.seek(int(Fraction(start, fps) / stream.time_base), stream=stream, backward=True)
        expected = start
        for frame in container.decode(stream):
            index = round(frame.time * fps)
            if index < expected:
                continue  # decoded from the keyframe before `start`
            if stop is not None and index >= stop:
                return
            if index != expected:
                raise VideoError(f"{path}: frame {expected} is missing (next decoded frame is {index})")
            yield frame.to_ndarray(format="rgb24")
            expected += 1
        if stop is not None and expected < stop:
            raise VideoError(f"{path}: ends after {expected} frames, {stop} were expected")


def read_video(path: str | Path, fps: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """All frames of `[start, stop)` as one `uint8 [T, H, W, 3]` array."""
    frames = list(decode_frames(path, fps, start, stop))
    if not frames:
        info = probe(path)
        return np.empty((0, info.height, info.width, 3), np.uint8)
    return np.stack(frames)
