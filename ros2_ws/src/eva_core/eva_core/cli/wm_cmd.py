"""`eva wm eval`: score a video world model's plans from recorded starts (executability, static plans),
so that two models (SFT and GRPO) are compared on the same starts."""

from __future__ import annotations

import argparse
import json

from eva_core.cli.common import add_embodiment_argument


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("wm", help="video world model tools")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    ev = actions.add_parser(
        "eval",
        help="plan from N recorded starts, decode each plan with the IDM and score it",
        description="For N seeded starts (frames of the dataset's episodes) the planner is conditioned on the "
        "frames up to the start and the episode's instruction; each plan is decoded by the IDM and scored by "
        "the executability reward (0-10). A plan is static when its decoded arm motion is below "
        "--static-ratio x what the expert recorded from the same start; valid when its score reaches "
        "--min-score (the executor's threshold) and it is not static. Prints mean_score, valid_fraction, "
        "static_fraction and the same per task.",
    )
    ev.add_argument("--planner-config", required=True, metavar="YAML", help="a wan planner config (e.g. config/planner/wan_sim.yaml)")
    ev.add_argument("--lora", action="append", default=[], metavar="PATH", help="an adapter to apply on top (repeatable)")
    ev.add_argument("--dataset", action="append", required=True, metavar="DIR", help="LeRobot dataset of starts (repeatable)")
    ev.add_argument("--starts", type=int, default=32, help="number of starts (default 32)")
    ev.add_argument("--seed", type=int, default=0, help="seed of the start draw (default 0)")
    ev.add_argument("--idm", default=None, metavar="DIR", help="IDM checkpoint (default: the config's idm_checkpoint, else models/idm_sim)")
    ev.add_argument("--camera", default="cam_high", help="the plan camera (default cam_high)")
    ev.add_argument("--num-frames", type=int, default=None, help="plan length (default: the config's num_frames)")
    ev.add_argument("--min-score", type=float, default=5.0, help="score a plan needs to be run (default 5, the executor's)")
    ev.add_argument("--static-ratio", type=float, default=0.25, help="static below this fraction of the expert's motion (default 0.25)")
    ev.add_argument("--json", action="store_true", help="JSON on stdout")
    add_embodiment_argument(ev)
    ev.set_defaults(func=run_eval)
    return parser


def run_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from eva_core.config import ConfigError, build, load_yaml
    from eva_core.embodiment import load_embodiment
    from eva_core.idm.checkpoint import CheckpointError
    from eva_core.idm.inference import IdmDecoder
    from eva_core.planning.evaluation import evaluate_planner, pick_starts
    from eva_core.planning.wan.backend import WanPlanner
    from eva_core.planning.wan.config import WanPlannerConfig, resolve_path

    emb = load_embodiment(args.embodiment)
    settings = load_yaml(args.planner_config)
    settings["loras"] = list(settings.get("loras") or []) + [{"path": p} for p in args.lora]
    config = build(WanPlannerConfig, settings, source=args.planner_config)
    for d in args.dataset:
        if not (Path(d) / "meta" / "info.json").is_file():
            raise ConfigError("--dataset", f"{d} is not a dataset (no meta/info.json)")
    idm_path = args.idm or config.idm_checkpoint or "models/idm_sim"
    try:
        decoder = IdmDecoder.load(resolve_path(idm_path) if not Path(idm_path).exists() else idm_path, config.device)
    except (CheckpointError, FileNotFoundError) as err:
        raise ConfigError("--idm", str(err)) from None
    num_frames = args.num_frames or config.num_frames
    starts = pick_starts(args.dataset, args.starts, args.seed)
    with WanPlanner(config, emb) as planner:
        report = evaluate_planner(planner, decoder, emb, starts, camera=args.camera, observed=config.history_frames,
                                  num_frames=num_frames, min_score=args.min_score, static_ratio=args.static_ratio,
                                  progress=not args.json)
    out = {**report.to_json(), "starts": args.starts, "seed": args.seed, "planner_config": args.planner_config,
           "loras": [s.path for s in config.loras], "idm": str(idm_path)}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"mean score {out['mean_score']:.2f}/10, valid {out['valid_fraction']:.2f}, static {out['static_fraction']:.2f} over {out['plans']} plans")
        for task, row in out["per_task"].items():
            print(f"  {task}: score {row['mean_score']:.2f}, valid {row['valid_fraction']:.2f}, static {row['static_fraction']:.2f} ({row['plans']} plans)")
    return 0
