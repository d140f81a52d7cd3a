"""`eva-train sft --config YAML [--resume]`: supervised fine-tuning of the video world model."""

from __future__ import annotations

import argparse

from eva_train.common.cli import add_training_job, run_overrides


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_training_job(
        subparsers, "sft",
        help="train the video world model (flow matching with diffusion forcing; LoRA or full)",
        description="Supervised fine-tuning of the Wan2.1 image-to-video world model on LeRobot datasets "
        "(history frames + instruction -> future frames of the plan camera). mode: lora adds adapters to a "
        "pretrained model and saves pytorch_lora_weights.safetensors (for a planner config's loras:); mode: "
        "full trains every transformer weight (e.g. a small model from scratch) and saves a complete model "
        "directory (for a planner config's model_dir:). Writes metrics.jsonl, curves.png, samples/*.png and "
        "checkpoints/{last,final} under out_dir. Multi-GPU: `accelerate launch -m eva_train.cli sft ...`.",
        example="config/train/wm_sim.yaml, config/train/sft_14b.yaml", func=run,
    )
    parser.add_argument("--lr", type=float, default=None, help="override the config's learning rate (e.g. lower it for a resumed run)")
    parser.add_argument("--prepare-only", action="store_true",
                        help="build the latent cache (and check the data) and stop: e.g. with more threads than training gets")
    return parser


def run(args: argparse.Namespace) -> int:
    from eva_train.wm.config import SftConfig
    from eva_train.wm.sft import train

    cfg = SftConfig.from_yaml(args.config, **run_overrides(args), lr=args.lr)
    run_dir = train(cfg, resume=args.resume, progress=not args.no_progress, prepare_only=args.prepare_only)
    if args.prepare_only:
        print(f"data ready: {cfg.cache_dir or run_dir}")
        return 0
    print(f"checkpoints: {run_dir / 'checkpoints'}")
    return 0
