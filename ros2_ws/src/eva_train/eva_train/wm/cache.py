"""A cache of encoded training windows: VAE latents, CLIP tokens and text embeddings computed once, so
epochs after the first skip the encoders (on a CPU, the autoencoder costs more than the transformer).

One safetensors file per count of observed frames (`windows_h{h}.safetensors`: latents float16 [N, z, F, h, w],
image float16 [N, tokens, dim], text_index int64 [N], episode/current int64 [N]) plus `texts.safetensors`
(one embedding per instruction) and `cache.json`, which records what the cache was built from (the
autoencoder's fingerprint, resolution, frames): a cache from another autoencoder is rebuilt, never reused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from eva_train.wm.clips import ClipSource, Window
from eva_train.wm.model import WindowEncoder


def vae_fingerprint(vae) -> str:
    """Identifies an autoencoder by its architecture and weights (not where it was loaded from)."""
    config = {k: v for k, v in dict(vae.config).items() if not k.startswith("_")}
    h = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    for name, p in sorted(vae.state_dict().items()):
        h.update(name.encode())
        h.update(p.detach().float().sum().item().hex().encode())
    return h.hexdigest()[:16]


@dataclass
class EncodedWindows:
    latents: torch.Tensor  # float16 [N, z, F, h, w]
    image: torch.Tensor  # float16 [N, tokens, dim]
    text_index: torch.Tensor  # int64 [N]
    texts: torch.Tensor  # float32 [K, 512, dim]
    observed: int  # observed frames of every window (the clip's history is `history_length` of it)

    @property
    def history_latents(self) -> int:
        from eva_core.planning.wan.history import VAE_TIME_STRIDE, history_length

        return (history_length(self.observed, self.observed) - 1) // VAE_TIME_STRIDE + 1

    def __len__(self) -> int:
        return int(self.latents.shape[0])


def encode_windows(source: ClipSource, windows: list[Window], encoder: WindowEncoder, num_frames: int,
                   instructions: list[str], progress: bool = True, desc: str = "encode windows") -> EncodedWindows:
    from tqdm import tqdm

    observed = {w.observed for w in windows}
    if len(observed) != 1:
        raise ValueError(f"one history length per set, got {sorted(observed)}")
    lat, img, idx = [], [], []
    for w in tqdm(windows, desc=desc, disable=not progress, unit="win"):
        clip = source.frames(w, num_frames)
        lat.append(encoder.latents(clip).half())
        img.append(encoder.image(clip).half())
        idx.append(instructions.index(source.instructions[w.episode]))
    texts = torch.stack([encoder.text(t) for t in instructions]).float()
    return EncodedWindows(torch.stack(lat), torch.stack(img), torch.tensor(idx), texts, observed.pop())


def load_or_build(cache_dir: Path, key: dict, build) -> dict[int, EncodedWindows]:
    """The cached sets if `cache.json` matches `key`, else `build()` (-> {history: EncodedWindows}) saved there."""
    meta_path = cache_dir / "cache.json"
    if meta_path.exists() and json.loads(meta_path.read_text()).get("key") == key:
        texts = load_file(str(cache_dir / "texts.safetensors"))["texts"]
        out = {}
        for path in sorted(cache_dir.glob("windows_h*.safetensors")):
            t = load_file(str(path))
            h = int(path.stem.split("_h")[1])
            out[h] = EncodedWindows(t["latents"], t["image"], t["text_index"], texts, h)
        return out
    sets = build()
    cache_dir.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)  # written last: a half-written cache is never taken for a whole one
    for old in cache_dir.glob("windows_h*.safetensors"):
        old.unlink()
    for h, s in sets.items():
        save_file({"latents": s.latents.contiguous(), "image": s.image.contiguous(), "text_index": s.text_index}, str(cache_dir / f"windows_h{h}.safetensors"))
    save_file({"texts": next(iter(sets.values())).texts.contiguous()}, str(cache_dir / "texts.safetensors"))
    meta_path.write_text(json.dumps({"key": key}, indent=2))
    return sets
