"""`eva-train idm --config config/train/idm_sim.yaml [--resume] [--init-from models/idm_sim]`: train the
inverse dynamics model (from scratch, resumed, or warm-started from a checkpoint)."""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "idm",
        help="train the inverse dynamics model (frames t-k..t+k -> action t)",
        description="Train the IDM on LeRobot datasets. Writes metrics.jsonl, curves.png and "
        "checkpoints/{last,final} (model.safetensors + config.json) under the config's out_dir.",
    )
    parser.add_argument("--config", required=True, metavar="YAML", help="training config (see config/train/idm_sim.yaml)")
    parser.add_argument("--resume", action="store_true", help="continue from out_dir/checkpoints/last")
    parser.add_argument("--out-dir", default=None, help="override the config's out_dir")
    parser.add_argument("--steps", type=int, default=None, help="override the config's steps")
    parser.add_argument("--lr", type=float, default=None, help="override the config's peak learning rate")
    parser.add_argument("--time-limit-min", type=float, default=None, help="override the config's wall-clock budget (minutes)")
    parser.add_argument("--init-from", default=None, metavar="CHECKPOINT",
                        help="warm start: begin from this IDM checkpoint's weights (e.g. models/idm_sim) instead of a random init")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from eva_train.idm.config import IdmTrainConfig
    from eva_train.idm.train import train

    cfg = IdmTrainConfig.from_yaml(args.config, out_dir=args.out_dir, steps=args.steps, lr=args.lr,
                                   time_limit_min=args.time_limit_min, init_from=args.init_from)
    run_dir = train(cfg, resume=args.resume, progress=not args.no_progress)
    print(f"final checkpoint: {run_dir / 'checkpoints' / 'final'}")
    return 0
