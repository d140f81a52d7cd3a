"""`eva-train grpo --config YAML [--resume]`: align the world model with the IDM executability reward."""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "grpo",
        help="GRPO post-training of the world model with the IDM executability reward (EVA)",
        description="Roll the SFT world model out with a Flow-GRPO SDE sampler (G rollouts per start), decode each "
        "rollout with the frozen IDM, score it with the executability reward (P0 re-estimated from the starting "
        "model; static plans count as failures), and update with group-normalised advantages, a clipped ratio and "
        "a KL to the reference. Validates on held-out starts with the deployed sampler, keeps the best checkpoint "
        "and stops early. Writes metrics.jsonl, curves.png and checkpoints/{last,best,final} under out_dir.",
    )
    parser.add_argument("--config", required=True, metavar="YAML", help="config/train/grpo_sim.yaml or grpo_14b.yaml")
    parser.add_argument("--resume", action="store_true", help="continue from out_dir/checkpoints/last")
    parser.add_argument("--out-dir", default=None, help="override the config's out_dir")
    parser.add_argument("--steps", type=int, default=None, help="override the config's steps")
    parser.add_argument("--time-limit-min", type=float, default=None, help="override the wall-clock budget (minutes)")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from eva_train.grpo.config import GrpoConfig
    from eva_train.grpo.train import train

    cfg = GrpoConfig.from_yaml(args.config, out_dir=args.out_dir, steps=args.steps, time_limit_min=args.time_limit_min)
    run_dir = train(cfg, resume=args.resume, progress=not args.no_progress)
    print(f"checkpoints: {run_dir / 'checkpoints'} (best: {run_dir / 'checkpoints' / 'best'})")
    return 0
