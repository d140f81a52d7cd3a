"""`eva sim tasks` / `eva sim demos` through `register_actions` on a small parser."""

import argparse
import json

from eva_sim.task_cli import register_actions


def _parser():
    parser = argparse.ArgumentParser(prog="eva sim")
    register_actions(parser.add_subparsers(dest="action", required=True))
    return parser


def test_tasks_json(capsys):
    args = _parser().parse_args(["tasks", "--json"])
    assert args.func(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 4
    for row in rows:
        assert row["instruction"] and set(row["arms"]) <= {"left", "right"}


def test_demos_json(tmp_path, capsys):
    out = tmp_path / "ds"
    args = _parser().parse_args(["demos", "--task", "press_button", "--episodes", "1", "--out", str(out), "--resolution", "32x24", "--json"])
    assert args.func(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary == {"task": "press_button", "episodes": 1, "successes": 1, "out": str(out)}


def test_demos_rejects_bad_arguments(tmp_path, capsys):
    parser = _parser()
    args = parser.parse_args(["demos", "--task", "nope", "--out", str(tmp_path / "x")])
    assert args.func(args) == 2
    args = parser.parse_args(["demos", "--task", "press_button", "--out", str(tmp_path / "x"), "--resolution", "big"])
    assert args.func(args) == 2
