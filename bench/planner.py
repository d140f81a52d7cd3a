"""Benchmark the `wan` video planner: seconds per plan by step count, peak memory, and IDM decode time.

    .venv/bin/python bench/planner.py                          # tiny random Wan2.1 + LoRA on the CPU
    .venv/bin/python bench/planner.py --model wan14b --device cuda --height 480 --width 832 --steps 4,10,40
    .venv/bin/python bench/planner.py --planner-config config/planner/wan_sim.yaml --steps 5,10,20 --frames 17   # the twin model

`--model tiny` builds the CI smoke-test model (eva_core.planning.wan.tiny) with a LoRA adapter in a
temporary directory and loads it through the real loading path. `--model wan14b` builds a transformer
of Wan2.1-I2V-14B's size with random weights directly on the device (eva_core.planning.wan.sized): the
frames are noise, the compute and memory are the real model's; it needs a GPU with ~40 GB free.
`--planner-config` loads a trained model from a planner config (its device, dtype, size and history
settings; --steps and --frames still apply).

Each plan is one `WanPlanner.plan` call (history of 4 frames, diffusion-forcing conditioning, 49 frames by
default) after one warm-up plan at the same settings. Per step count it reports the median seconds per
plan, the stage timings the planner logs (text, encode, denoise, decode), peak memory (CUDA: the
allocator's peak; CPU: the process's peak resident set, which only grows), and the shipped IDM's time to
decode the plan (frames resized to its input size, on the planner's device). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--model", choices=("tiny", "wan14b"), default="tiny", help="which random model to build (default tiny)")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--dtype", default=None, help="transformer dtype (default: float32 on CPU, bfloat16 on CUDA)")
    parser.add_argument("--steps", default="2,4,8", help="comma-separated denoising step counts (default 2,4,8)")
    parser.add_argument("--frames", type=int, default=49, help="frames per plan, 4k+1 (default 49)")
    parser.add_argument("--height", type=int, default=16, help="plan height, px, multiple of 16 (default 16)")
    parser.add_argument("--width", type=int, default=16, help="plan width, px, multiple of 16 (default 16)")
    parser.add_argument("--candidates", type=int, default=1, help="candidate plans per call (reward-ranked sampling)")
    parser.add_argument("--repeats", type=int, default=2, help="timed plans per step count (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for torch (default 2)")
    parser.add_argument("--idm", default="models/idm_sim", help="IDM checkpoint for the decode time ('' to skip)")
    parser.add_argument("--layers", type=int, default=None, help="wan14b only: fewer transformer layers (testing)")
    parser.add_argument("--heads", type=int, default=None, help="wan14b only: fewer attention heads (testing)")
    parser.add_argument("--planner-config", default=None, metavar="YAML", help="a trained model's planner config instead of --model")
    args = parser.parse_args()
    if args.planner_config:
        from eva_core.config import build, load_yaml
        from eva_core.planning.wan.config import WanPlannerConfig

        cfg = build(WanPlannerConfig, load_yaml(args.planner_config), source=args.planner_config)
        args.model, args.device, args.dtype = f"config:{args.planner_config}", cfg.device, cfg.dtype
        args.height, args.width = cfg.height or args.height, cfg.width or args.width
        args.loaded_config = cfg
    return args


def _build_tiny(workdir: Path):
    from eva_core.planning.wan.tiny import build_tiny_lora, build_tiny_wan

    model_dir = build_tiny_wan(workdir / "tiny_wan")
    lora = build_tiny_lora(model_dir, workdir / "lora" / "adapter.safetensors")
    return model_dir, lora


def _planner(args, workdir: Path, steps: int, embodiment, cache: dict):
    """A WanPlanner at `steps`; the model is built once and shared across step counts."""
    import torch

    from eva_core.planning.wan.backend import WanPlanner
    from eva_core.planning.wan.config import WanPlannerConfig
    from eva_core.planning.wan.loading import assemble_wan, check_device, torch_dtype

    dtype = args.dtype or ("float32" if args.device == "cpu" else "bfloat16")
    common = dict(device=args.device, dtype=dtype, steps=steps, num_frames=args.frames, height=args.height,
                  width=args.width, candidates=args.candidates, idm_checkpoint=args.idm if args.candidates > 1 else "")
    if getattr(args, "loaded_config", None) is not None:
        import dataclasses

        config = dataclasses.replace(args.loaded_config, steps=steps, num_frames=args.frames, candidates=args.candidates)
        if "model" not in cache:
            cache["model"] = WanPlanner(config, embodiment).model
    elif args.model == "tiny":
        if "dir" not in cache:
            cache["dir"], cache["lora"] = _build_tiny(workdir)
        config = WanPlannerConfig(model_dir=str(cache["dir"]), loras=({"path": str(cache["lora"]), "weight": 1.0},), **common)
        if "model" not in cache:
            cache["model"] = WanPlanner(config, embodiment).model
    else:
        from eva_core.planning.wan.sized import HEADS, LAYERS, wan14b_components

        config = WanPlannerConfig(model_dir="(in memory)", **common)
        if "model" not in cache:
            device = check_device(config)
            components = wan14b_components(device, torch_dtype(dtype), layers=args.layers or LAYERS, heads=args.heads or HEADS)
            cache["parameters"] = sum(p.numel() for p in components["transformer"].parameters())
            cache["model"] = assemble_wan(components, config, device)
            del components
            torch.cuda.empty_cache() if torch.cuda.is_available() else None
    return WanPlanner(config, embodiment, model=cache["model"])


def _reset_peak(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def _peak_mb(device: str) -> float:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    args = _args()
    import torch

    from eva_core.embodiment import load_embodiment
    from eva_core.planning.planner import PlanRequest

    torch.set_num_threads(args.threads)
    embodiment = load_embodiment()
    rng = np.random.default_rng(0)
    history = tuple(rng.integers(0, 256, (args.height, args.width, 3), dtype=np.uint8) for _ in range(4))
    decoder = None
    if args.idm:
        from eva_core.idm.inference import IdmDecoder

        decoder = IdmDecoder.load(args.idm, args.device)
    report: dict = {
        "model": args.model, "device": args.device,
        "device_name": torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else platform.processor() or platform.machine(),
        "threads": args.threads, "frames": args.frames, "height": args.height, "width": args.width,
        "candidates": args.candidates, "repeats": args.repeats, "torch": torch.__version__, "results": [],
    }
    cache: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for steps in (int(s) for s in args.steps.split(",")):
            planner = _planner(args, Path(tmp), steps, embodiment, cache)
            if "build_s" not in report:
                report["build_s"] = round(time.perf_counter() - start, 2)
                report["transformer_parameters"] = cache.get("parameters") or sum(p.numel() for p in planner.model.transformer.parameters())
            request = lambda i: PlanRequest(f"bench-{steps}-{i}", "press the red button", history, num_frames=args.frames)  # noqa: E731
            planner.plan(request(0))  # warm-up: allocator, kernels, text-embedding cache
            _reset_peak(args.device)
            seconds, stages = [], []
            for i in range(args.repeats):
                t = time.perf_counter()
                result = planner.plan(request(i + 1))
                seconds.append(time.perf_counter() - t)
                stages.append(result.info["timings_s"])
            entry = {
                "steps": steps,
                "seconds_per_plan": round(statistics.median(seconds), 3),
                "seconds_min": round(min(seconds), 3),
                "stage_seconds": {k: round(statistics.median(s[k] for s in stages), 3) for k in stages[0]},
                "peak_memory_mb": round(_peak_mb(args.device), 1),
                "peak_memory_kind": "cuda_max_allocated" if args.device.startswith("cuda") else "process_max_rss",
            }
            if decoder is not None:
                decoder.decode(result.frames)  # warm-up at this size
                t = time.perf_counter()
                decoder.decode(result.frames)
                entry["idm_decode_s"] = round(time.perf_counter() - t, 4)
            report["results"].append(entry)
            print(f"steps {steps}: {entry['seconds_per_plan']} s/plan", file=sys.stderr, flush=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
