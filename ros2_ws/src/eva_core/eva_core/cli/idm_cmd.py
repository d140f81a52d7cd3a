"""`eva idm eval --checkpoint PATH --dataset DIR [--json] [--plots DIR]`: how well a trained IDM
decodes recorded episodes (joint accuracy, per-dim accuracy and MAE, executability of the decoded
actions vs the recorded ones), with optional per-episode trajectory plots (paper Figure 2 style)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eva_core.cli.common import add_embodiment_argument
from eva_core.embodiment import load_embodiment


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("idm", help="inverse dynamics model tools")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    ev = actions.add_parser(
        "eval",
        help="decode a dataset's episodes with an IDM checkpoint and score them against the recorded actions",
        description="Joint accuracy = fraction of frames with every arm joint within ±0.05 rad at once; "
        "grippers count separately (within a fraction of their range). Also reports per-dim accuracy "
        "and MAE, and the executability score (mean over episodes) of decoded vs recorded actions.",
    )
    ev.add_argument("--checkpoint", required=True, help="directory with model.safetensors + config.json")
    ev.add_argument("--dataset", required=True, help="LeRobot dataset directory")
    ev.add_argument("--camera", default="cam_high", help="camera the IDM was trained on")
    ev.add_argument("--episodes", type=int, nargs="*", default=None, help="episode indices (default: all)")
    ev.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    ev.add_argument("--joint-tol", type=float, default=0.05, help="arm joint tolerance in rad")
    ev.add_argument("--gripper-tol", type=float, default=0.1, help="gripper tolerance, fraction of its range")
    ev.add_argument("--json", action="store_true", help="machine-readable output")
    ev.add_argument("--plots", default=None, metavar="DIR", help="write one PNG per episode: decoded vs true joints")
    add_embodiment_argument(ev)
    ev.set_defaults(func=run_eval)
    return parser


def run_eval(args: argparse.Namespace) -> int:
    import torch

    from eva_core.data import Dataset
    from eva_core.idm.inference import IdmDecoder
    from eva_core.idm.metrics import idm_metrics
    from eva_core.reward import RewardParams, executability_reward

    torch.set_grad_enabled(False)
    emb = load_embodiment(args.embodiment)
    params = RewardParams.from_embodiment(emb)
    decoder = IdmDecoder.load(args.checkpoint, args.device)
    ds = Dataset(args.dataset)
    episodes = args.episodes if args.episodes else list(range(ds.num_episodes))
    preds, trues, score_dec, score_true = [], [], [], []
    for i in episodes:
        ep = ds.episode(i)
        pred = decoder.decode(ep.video(args.camera))
        true = np.asarray(ep.actions, dtype=np.float32)
        preds.append(pred)
        trues.append(true)
        score_dec.append(float(executability_reward(pred, params).score))
        score_true.append(float(executability_reward(true, params).score))
        if args.plots:
            plot_episode(Path(args.plots) / f"episode_{i:03d}.png", pred, true, emb.joint_names, i, score_dec[-1], score_true[-1])
    limits = emb.limits
    m = idm_metrics(np.concatenate(preds), np.concatenate(trues), tuple(emb.gripper_indices),
                    limits.position_max - limits.position_min, args.joint_tol, args.gripper_tol)
    out = m.to_json(list(emb.joint_names))
    out.update({
        "checkpoint": str(args.checkpoint), "dataset": str(args.dataset), "episodes": len(episodes),
        "joint_tol_rad": args.joint_tol, "gripper_tol": args.gripper_tol,
        "score_decoded": float(np.mean(score_dec)), "score_true": float(np.mean(score_true)),
    })
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{out['episodes']} episodes, {out['steps']} frames of {args.dataset}")
    print(f"joint accuracy (all arm joints within ±{args.joint_tol} rad): {out['joint_accuracy']:.3f}")
    print(f"gripper accuracy (within {args.gripper_tol:.0%} of range): {out['gripper_accuracy']:.3f}")
    print(f"{'joint':<14} {'acc':>6} {'MAE':>8}")
    for name in emb.joint_names:
        print(f"{name:<14} {out['per_dim_accuracy'][name]:>6.3f} {out['per_dim_mae'][name]:>8.4f}")
    print(f"executability score: decoded {out['score_decoded']:.2f}, recorded {out['score_true']:.2f} (of 10)")
    return 0


def plot_episode(path: Path, pred: np.ndarray, true: np.ndarray, names, index: int, s_dec: float, s_true: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    d = true.shape[1]
    fig, axes = plt.subplots(2, (d + 1) // 2, figsize=(2.4 * ((d + 1) // 2), 4.5), sharex=True)
    for j, ax in enumerate(axes.flat[:d]):
        ax.plot(true[:, j], "k-", lw=1.2, label="ground truth")
        ax.plot(pred[:, j], "r-", lw=1.0, alpha=0.8, label="IDM decoded")
        ax.set_title(names[j], fontsize=8)
        ax.tick_params(labelsize=6)
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(f"episode {index}: executability score decoded {s_dec:.2f} / recorded {s_true:.2f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
