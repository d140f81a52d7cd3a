"""`eva plan`: generate one video plan with the Wan2.1 planner offline (no ROS), decode and score it.

    eva plan --model models/wan2.1-i2v-lvp --lora models/wan_lora/grpo_sim --image frame.png \\
             --instruction "press the red button" --out plan.mp4

Writes plan.mp4 (the plan at the plan rate), plan.json (settings, timings and, with an IDM, the
executability reward and its terms, every candidate's score) and, with an IDM, plan.actions.npy (the
decoded [T, 14] commands of the returned plan).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from eva_core.cli.common import add_embodiment_argument
from eva_core.config import ConfigError, build, load_yaml, repo_root
from eva_core.embodiment import load_embodiment

DEFAULT_IDM = "models/idm_sim"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")

EPILOG = """\
Model: a diffusers-format Wan2.1 image-to-video directory (models/README.md, "Video planner"); nothing
is downloaded. A tiny random model for a smoke test:
  python -c "from eva_core.planning.wan.tiny import build_tiny_wan; build_tiny_wan('/tmp/tiny_wan')"
  eva plan --model /tmp/tiny_wan --device cpu --steps 2 --num-frames 9 --image frame.png \\
           --instruction "press the red button" --out /tmp/plan.mp4

Settings come from --config (a planner YAML such as config/planner/wan.yaml, default: its defaults)
and are overridden by the options given. Files written next to --out (plan.mp4):
  plan.mp4           the plan, H.264 at the plan rate
  plan.json          settings, timings, history used; with an IDM: score, reward terms, all candidates
  plan.actions.npy   with an IDM: float64 [T, 14] decoded commands of the returned plan
Exit status: 0 written, 2 bad settings / missing model / unreadable input."""


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "plan",
        help="generate a video plan with the Wan2.1 planner (offline), decode and score it",
        description="Condition the video world model on an image or the last frames of a history and an "
        "instruction; write the plan video, and with an IDM the decoded actions and the executability reward.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", metavar="FRAME.png", help="the current view (one frame of history)")
    source.add_argument("--history", metavar="DIR|VIDEO", help="a folder of frames (sorted by name) or a video: the last ones condition the plan")
    parser.add_argument("--instruction", required=True, help="the task instruction, e.g. 'press the red button'")
    parser.add_argument("--out", required=True, metavar="PLAN.mp4", help="where to write the plan video (.mp4)")
    parser.add_argument("--config", metavar="YAML", help="planner settings file (e.g. config/planner/wan.yaml)")
    parser.add_argument("--model", metavar="DIR", help="model directory (overrides model_dir)")
    parser.add_argument("--lora", action="append", default=[], metavar="PATH[:WEIGHT]",
                        help="a LoRA adapter with its weight (default 1); repeat for several; replaces the config's")
    parser.add_argument("--device", help="cuda, cuda:N or cpu (default: the config's; cpu when CUDA is missing)")
    parser.add_argument("--dtype", choices=("bfloat16", "float16", "float32"), help="transformer precision (cpu default: float32)")
    parser.add_argument("--num-frames", type=int, help="frames of the plan, 4k+1 (default: the config's, 49)")
    parser.add_argument("--steps", type=int, help="denoising steps")
    parser.add_argument("--scheduler", choices=("unipc", "euler"), help="sampler")
    parser.add_argument("--guidance-scale", type=float, help="classifier-free guidance (1 = none)")
    parser.add_argument("--history-mode", choices=("diffusion_forcing", "first_frame"), help="how the history conditions the plan")
    parser.add_argument("--history-frames", type=int, help="observed frames used (default 4)")
    parser.add_argument("--height", type=int, help="plan height, px (multiple of 16)")
    parser.add_argument("--width", type=int, help="plan width, px (multiple of 16)")
    parser.add_argument("--candidates", type=int, help="reward-ranked sampling: N candidates, the best is written (needs an IDM)")
    parser.add_argument("--seed", type=int, help="base seed (candidate i uses seed + i)")
    idm = parser.add_mutually_exclusive_group()
    idm.add_argument("--idm", metavar="DIR", help=f"IDM checkpoint to decode and score the plan (default: {DEFAULT_IDM} if present)")
    idm.add_argument("--no-idm", action="store_true", help="write the video only")
    parser.add_argument("--json", action="store_true", help="print plan.json's content instead of a summary")
    add_embodiment_argument(parser)
    parser.set_defaults(func=run)
    return parser


def parse_lora(text: str) -> dict[str, Any]:
    """PATH or PATH:WEIGHT -> {"path", "weight"}; the last ':' splits only when a number follows it."""
    path, sep, weight = text.rpartition(":")
    if sep:
        try:
            return {"path": path, "weight": float(weight)}
        except ValueError:
            pass
    return {"path": text, "weight": 1.0}


def planner_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The config file's values with the command line's on top."""
    values: dict[str, Any] = load_yaml(args.config) if args.config else {}
    values.pop("type", None)
    flags = {
        "model_dir": args.model, "device": args.device, "dtype": args.dtype, "num_frames": args.num_frames,
        "steps": args.steps, "scheduler": args.scheduler, "guidance_scale": args.guidance_scale,
        "history_mode": args.history_mode, "history_frames": args.history_frames, "height": args.height,
        "width": args.width, "candidates": args.candidates, "seed": args.seed,
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    if args.lora:
        values["loras"] = [parse_lora(text) for text in args.lora]
    if "device" not in values:
        import torch

        values["device"] = "cuda" if torch.cuda.is_available() else "cpu"
    if str(values["device"]).startswith("cpu") and "dtype" not in values:
        values["dtype"] = "float32"
    if args.no_idm:
        values["idm_checkpoint"] = ""
    elif args.idm:
        values["idm_checkpoint"] = args.idm
    elif "idm_checkpoint" not in values and (repo_root() / DEFAULT_IDM / "config.json").is_file():
        values["idm_checkpoint"] = DEFAULT_IDM
    return values


def read_history(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """uint8 [H, W, 3] frames, oldest first."""
    from PIL import Image

    def load(path: Path) -> np.ndarray:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)

    if args.image:
        return (load(Path(args.image)),)
    source = Path(args.history)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"{source} holds no image frames ({', '.join(IMAGE_SUFFIXES)})")
        return tuple(load(p) for p in files)
    import av

    try:
        with av.open(str(source)) as container:
            frames = tuple(f.to_ndarray(format="rgb24") for f in container.decode(video=0))
    except (av.FFmpegError, IndexError) as err:
        raise ValueError(f"cannot read video {source}: {err}") from None
    if not frames:
        raise ValueError(f"{source} has no frames")
    return frames


def write_video(path: Path, frames: np.ndarray, fps: float) -> None:
    from eva_core.data.features import VideoConfig
    from eva_core.data.video import VideoEncoder

    encoder = VideoEncoder(path, frames.shape[1], frames.shape[2], int(round(fps)), VideoConfig())
    try:
        for frame in frames:
            encoder.encode(frame)
    except BaseException:
        encoder.abort()
        raise
    encoder.close()


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".mp4":
        raise ConfigError("--out", f"must be an .mp4 path, got {out}")
    try:
        history = read_history(args)
    except (OSError, ValueError) as err:
        print(f"eva plan: {err}", file=sys.stderr)
        return 2
    from eva_core.planning import PlanRequest, make_planner
    from eva_core.planning.wan import WanPlannerConfig

    embodiment = load_embodiment(args.embodiment)
    config = build(WanPlannerConfig, planner_settings(args), path="planner", source=args.config)
    print(f"eva plan: loading {config.model_dir} on {config.device} ({config.dtype})", file=sys.stderr)
    planner = make_planner("wan", config, embodiment)
    try:
        result = planner.plan(PlanRequest(out.stem, args.instruction, history, config.num_frames), _progress_bar(config.steps))
    finally:
        planner.close()

    out.parent.mkdir(parents=True, exist_ok=True)
    write_video(out, result.frames, result.fps)
    info = dict(result.info)
    info.pop("history_latents", None)
    actions = info.pop("actions", None)
    report = {
        "video": str(out), "instruction": args.instruction, "frames": int(result.num_frames),
        "height": int(result.frames.shape[1]), "width": int(result.frames.shape[2]), "fps": result.fps,
        "planning_time_s": result.planning_time_s, "history_frames_given": len(history),
        "config": dataclasses.asdict(config), **info,
    }
    if actions is not None:
        actions_path = out.with_suffix(".actions.npy")
        np.save(actions_path, np.asarray(actions, dtype=np.float64))
        report["actions"] = str(actions_path)
    out.with_suffix(".json").write_text(json.dumps(_json_safe(report), indent=2) + "\n")
    if args.json:
        print(json.dumps(_json_safe(report), indent=2))
        return 0
    print(f"plan: {report['frames']} frames {report['width']}x{report['height']} at {result.fps:g} fps -> {out} "
          f"({result.planning_time_s:.1f} s)")
    if "score" in info:
        others = f" (best of {len(info['scores'])}: {', '.join(f'{s:.2f}' for s in info['scores'])})" if len(info["scores"]) > 1 else ""
        print(f"executability score {info['score']:.2f} of 10{others}; actions -> {report['actions']}")
    return 0


def _progress_bar(total: int):
    from tqdm import tqdm

    bar = tqdm(total=total, desc="denoising", unit="step", file=sys.stderr, leave=False)

    def progress(step: int, steps: int) -> None:
        bar.update(step - bar.n)
        if step >= steps:
            bar.close()

    return progress
