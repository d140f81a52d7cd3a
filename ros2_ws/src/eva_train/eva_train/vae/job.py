"""`eva-train vae --config config/train/vae_sim.yaml [--resume]`: train the world model's video autoencoder."""

from __future__ import annotations

import argparse

from eva_train.common.cli import add_training_job, run_overrides


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_training_job(
        subparsers, "vae",
        help="train the video autoencoder (diffusers AutoencoderKLWan) of a from-scratch world model",
        description="Train a small AutoencoderKLWan on the plan camera's frames of LeRobot datasets. Writes "
        "metrics.jsonl, curves.png, samples.png (originals over reconstructions) and checkpoints/{last,final}/vae "
        "under out_dir; the final one carries latents_mean/latents_std measured on the data.",
        example="config/train/vae_sim.yaml", func=run,
    )
    return parser


def run(args: argparse.Namespace) -> int:
    from eva_train.vae.config import VaeTrainConfig
    from eva_train.vae.train import train

    cfg = VaeTrainConfig.from_yaml(args.config, **run_overrides(args))
    run_dir = train(cfg, resume=args.resume, progress=not args.no_progress)
    print(f"final autoencoder: {run_dir / 'checkpoints' / 'final' / 'vae'}")
    return 0


def register_roundtrip(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "vae-roundtrip",
        help="copy datasets with the plan camera passed through an autoencoder (frames as a world model renders them)",
        description="For each DATASET write OUT_DIR/<its name>: the same episodes, states and actions, with only "
        "the plan camera, every frame encoded and decoded by the autoencoder at its resolution. Train the IDM on "
        "these next to the originals so that it reads a world model's plans as well as camera frames.",
    )
    parser.add_argument("datasets", nargs="+", metavar="DATASET", help="LeRobot v3 dataset directories")
    parser.add_argument("--vae", required=True, metavar="DIR", help="AutoencoderKLWan directory (e.g. models/wm_sim/vae)")
    parser.add_argument("--resolution", default="128x96", metavar="WxH", help="the world model's frame size (default: 128x96)")
    parser.add_argument("--camera", default="cam_high", help="the plan camera (default: cam_high)")
    parser.add_argument("--out-dir", required=True, metavar="DIR", help="where the copies go (one folder per dataset)")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    parser.set_defaults(func=run_roundtrip)
    return parser


def run_roundtrip(args: argparse.Namespace) -> int:
    from pathlib import Path

    from diffusers import AutoencoderKLWan

    from eva_core.config import ConfigError
    from eva_train.vae.roundtrip import roundtrip_dataset

    try:
        width, height = (int(v) for v in args.resolution.lower().split("x"))
    except ValueError:
        raise ConfigError("--resolution", f"must be WxH, e.g. 128x96, got {args.resolution!r}") from None
    from eva_core.planning.wan.cpu_conv import use_onednn_conv3d

    vae = AutoencoderKLWan.from_pretrained(args.vae, local_files_only=True).eval()
    use_onednn_conv3d(vae)
    for src in args.datasets:
        out = roundtrip_dataset(vae, src, Path(args.out_dir) / Path(src).name, args.camera, (height, width), not args.no_progress)
        print(out)
    return 0
