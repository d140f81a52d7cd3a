"""`eva sim view`: render the twin to a PNG (one pose) or an mp4 (a few seconds of motion) to look at."""

from __future__ import annotations

import argparse
import re
import sys

import numpy as np

from eva_core.cli.common import add_embodiment_argument
from eva_core.embodiment import load_embodiment
from eva_sim.config import CAMERA_NAMES, SimConfig
from eva_sim.task_cli import register_actions
from eva_sim.view import POSES


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("sim", help="the MuJoCo twin: tasks, expert demonstrations, rendering")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    register_actions(actions)  # `eva sim tasks`, `eva sim demos`
    view = actions.add_parser(
        "view",
        help="render the twin's cameras to a PNG or an mp4",
        description="Render the scene from the platform's cameras. A .png shows one pose; a .mp4 shows "
        "the arms moving (physics, rate-limited servos) to a new random pose every second. Several "
        "cameras are tiled side by side. Needs MUJOCO_GL=egl without a display.",
    )
    add_embodiment_argument(view)
    view.add_argument("--out", default="scene.png", metavar="PATH", help="output .png or .mp4 (default: scene.png)")
    view.add_argument(
        "--camera", action="append", choices=CAMERA_NAMES + ("all",), default=None,
        help="camera to render, repeatable; 'all' for the three (default: cam_high)",
    )
    view.add_argument("--resolution", default="640x480", metavar="WxH", help="per camera (default: 640x480)")
    view.add_argument(
        "--task", default=None, metavar="NAME",
        help="show a task's scene (seeded objects); an .mp4 then shows its scripted expert at work",
    )
    view.add_argument("--pose", choices=POSES, default="ready", help="arm pose, and the start of a clip (default: ready)")
    view.add_argument("--seed", type=int, default=0, help="for --pose random and the clip's targets")
    view.add_argument("--duration", type=float, default=4.0, metavar="S", help="clip length, mp4 only (default: 4)")
    view.add_argument("--fps", type=int, default=None, help="clip frame rate (default: the plan rate, 16)")
    view.set_defaults(func=run_view)
    return parser


def _resolution(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"--resolution must look like 640x480, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def run_view(args: argparse.Namespace) -> int:
    from eva_sim.robot import SimRobot  # imports mujoco: only when the command runs
    from eva_sim.view import frame, motion, named_pose, write_mp4, write_png

    try:
        width, height = _resolution(args.resolution)
    except argparse.ArgumentTypeError as err:
        print(f"eva sim view: {err}", file=sys.stderr)
        return 2
    cameras = args.camera or ["cam_high"]
    if "all" in cameras:
        cameras = list(CAMERA_NAMES)
    suffix = args.out.rsplit(".", 1)[-1].lower()
    if suffix not in ("png", "mp4"):
        print(f"eva sim view: --out must end in .png or .mp4, got {args.out!r}", file=sys.stderr)
        return 2
    embodiment = load_embodiment(args.embodiment)
    if args.task is not None:
        return _view_task(args, embodiment, cameras, width, height, suffix)
    with SimRobot(embodiment, SimConfig().with_resolution(width, height)) as twin:
        twin.reset(named_pose(embodiment, args.pose, np.random.default_rng(args.seed)), seed=args.seed)
        if suffix == "png":
            write_png(args.out, frame(twin, cameras))
            print(f"wrote {args.out} ({', '.join(cameras)}, {width}x{height}, pose {args.pose})")
        else:
            fps = args.fps or int(round(embodiment.plan_rate_hz))
            n = write_mp4(args.out, motion(twin, cameras, duration_s=args.duration, fps=fps), fps)
            print(f"wrote {args.out} ({n} frames at {fps} fps, {', '.join(cameras)}, {width}x{height})")
    return 0


def _view_task(args, embodiment, cameras, width: int, height: int, suffix: str) -> int:
    """A task's scene after its seeded reset (.png), or its expert's episode (.mp4) at the plan rate."""
    from eva_sim.demos import SETTLE_S, run_episode
    from eva_sim.tasks import get_task
    from eva_sim.view import frame, write_mp4, write_png

    try:
        task = get_task(args.task)
    except KeyError as err:
        print(f"eva sim view: {err.args[0]}", file=sys.stderr)
        return 2
    with task.build_robot(embodiment, SimConfig().with_resolution(width, height)) as twin:
        if suffix == "png":
            twin.reset(task.start_pose(embodiment), seed=args.seed)
            task.reset(twin, np.random.default_rng(args.seed))
            twin.step(duration_s=SETTLE_S)
            write_png(args.out, frame(twin, cameras))
            print(f"wrote {args.out} (task {task.name}, seed {args.seed}, {', '.join(cameras)}, {width}x{height})")
            return 0
        frames = []
        result = run_episode(task, twin, args.seed, fps=args.fps, on_frame=lambda robot, _: frames.append(frame(robot, cameras)))
        fps = args.fps or int(round(embodiment.plan_rate_hz))
        write_mp4(args.out, iter(frames), fps)
        outcome = "success" if result.success else "failure"
        print(f"wrote {args.out} (task {task.name}, seed {args.seed}, {len(frames)} frames at {fps} fps, expert {outcome})")
    return 0
