"""`eva-train vae --config config/train/vae_sim.yaml [--resume]`: train the world model's video autoencoder."""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "vae",
        help="train the video autoencoder (diffusers AutoencoderKLWan) of a from-scratch world model",
        description="Train a small AutoencoderKLWan on the plan camera's frames of LeRobot datasets. Writes "
        "metrics.jsonl, curves.png, samples.png (originals over reconstructions) and checkpoints/{last,final}/vae "
        "under out_dir; the final one carries latents_mean/latents_std measured on the data.",
    )
    parser.add_argument("--config", required=True, metavar="YAML", help="training config (see config/train/vae_sim.yaml)")
    parser.add_argument("--resume", action="store_true", help="continue from out_dir/checkpoints/last")
    parser.add_argument("--out-dir", default=None, help="override the config's out_dir")
    parser.add_argument("--steps", type=int, default=None, help="override the config's steps")
    parser.add_argument("--time-limit-min", type=float, default=None, help="override the wall-clock budget (minutes)")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from eva_train.vae.config import VaeTrainConfig
    from eva_train.vae.train import train

    cfg = VaeTrainConfig.from_yaml(args.config, out_dir=args.out_dir, steps=args.steps, time_limit_min=args.time_limit_min)
    run_dir = train(cfg, resume=args.resume, progress=not args.no_progress)
    print(f"final autoencoder: {run_dir / 'checkpoints' / 'final' / 'vae'}")
    return 0
