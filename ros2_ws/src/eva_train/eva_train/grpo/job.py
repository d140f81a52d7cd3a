"""`eva-train grpo --config YAML [--resume]`: align the world model with the IDM executability reward."""

from __future__ import annotations

import argparse

from eva_train.common.cli import add_training_job, run_overrides


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_training_job(
        subparsers, "grpo",
        help="GRPO post-training of the world model with the IDM executability reward (EVA)",
        description="Roll the SFT world model out with a Flow-GRPO SDE sampler (G rollouts per start), decode each "
        "rollout with the frozen IDM, score it with the executability reward (P0 re-estimated from the starting "
        "model; static plans count as failures), and update with group-normalised advantages, a clipped ratio and "
        "a KL to the reference. Validates on held-out starts with the deployed sampler, keeps the best checkpoint "
        "and stops early. Writes metrics.jsonl, curves.png and checkpoints/{last,best,final} under out_dir.",
        example="config/train/grpo_sim.yaml, config/train/grpo_14b.yaml", func=run,
    )
    return parser


def run(args: argparse.Namespace) -> int:
    from eva_train.grpo.config import GrpoConfig
    from eva_train.grpo.train import train

    cfg = GrpoConfig.from_yaml(args.config, **run_overrides(args))
    run_dir = train(cfg, resume=args.resume, progress=not args.no_progress)
    print(f"checkpoints: {run_dir / 'checkpoints'} (best: {run_dir / 'checkpoints' / 'best'})")
    return 0
