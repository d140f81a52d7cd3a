"""Datasets as the world model renders them: every frame of the plan camera encoded and decoded by
the world model's autoencoder, at its resolution, with states and actions unchanged.

A world model's plans are autoencoder reconstructions (smoother edges, small colour shifts, lower
resolution). An IDM that only ever saw camera frames reads them worse; training it on round-tripped
copies of its datasets as well (`eva-train idm` with both listed) closes that gap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from eva_core.data import Dataset, DatasetWriter, VideoConfig
from eva_core.idm.inference import resize_frames
from eva_core.planning.wan.encoding import decode_video, encode_video
from eva_core.planning.wan.history import VAE_TIME_STRIDE, video_tensor

# Latent frames per encode/decode call: 6 = 21 frames, the clip a twin plan is (history 5 + plan 17 - 1),
# so the copies look like plans; never more than the autoencoder was trained on (it degrades past that).
CHUNK_LATENTS = 6


@torch.inference_mode()
def roundtrip_frames(vae, frames: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """uint8 [T, H, W, 3] -> uint8 [T, h, w, 3] through the autoencoder, in chunks of 1 + 4m frames
    (the last chunk padded with its last frame, the padding dropped after decoding)."""
    size = 1 + VAE_TIME_STRIDE * (CHUNK_LATENTS - 1)
    out = []
    for start in range(0, len(frames), size):
        chunk = frames[start : start + size]
        n = len(chunk)
        padded = n + (-(n - 1)) % VAE_TIME_STRIDE
        if padded > n:
            chunk = np.concatenate([chunk, np.repeat(chunk[-1:], padded - n, axis=0)])
        latents = encode_video(vae, video_tensor(chunk, *hw), torch.device("cpu"))
        out.append(decode_video(vae, latents)[0][:n])
    return np.concatenate(out)


def roundtrip_dataset(vae, src: str | Path, out: str | Path, camera: str, hw: tuple[int, int], progress: bool = True) -> Path:
    """Write `out`: `src`'s episodes with only `camera`, round-tripped at hw = (height, width)."""
    from tqdm import tqdm

    ds = Dataset(src)
    writer = DatasetWriter.create(out, fps=ds.fps, cameras={camera: hw}, joint_names=ds.joint_names,
                                  robot_type=ds.info.get("robot_type", ""), video=VideoConfig.lossless())
    with writer:
        for ep in tqdm(list(ds.episodes()), desc=f"round trip {Path(src).name}", disable=not progress, unit="ep"):
            frames = resize_frames(torch.from_numpy(np.ascontiguousarray(ep.video(camera))), hw).numpy()
            frames = roundtrip_frames(vae, frames, hw)
            writer.begin_episode(ep.task)
            for frame, state, action in zip(frames, ep.states, ep.actions):
                writer.add_frame({camera: frame}, state, action)
            writer.end_episode(success=ep.success, **{**ep.extra, "autoencoder_roundtrip": True})
    return Path(out)
