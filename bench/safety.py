"""Safety filter latency: one 49-step plan (plan level) and one control-rate command (command level).

Prints one JSON object. Times are per call, in µs, measured with perf_counter_ns on one core after a
warm-up: median and 99th percentile. Plans are timed with and without the dual-arm clearance check.

    python bench/safety.py [--quick]

Cases:
  plan_smooth      a smooth 49-step plan within every limit: accepted unchanged (the usual case)
  plan_corrected   a 49-step plan with chatter on every joint: every step is corrected, step by step
                   (the worst case for the filter; rejected for too many changes, so the braking
                   hold is computed as well)
  command_track    a command within the limits, passed bit for bit (the usual case at 200 Hz)
  command_clamp    a command 1 rad away: clamped, catching up without overshoot
  command_hold     a stale command: brake to rest, then hold
Targets (issue #2): plan under 2 ms, command under 50 µs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from eva_core.embodiment import load_embodiment
from eva_core.safety import CommandGuard, filter_plan

PLAN_TARGET_US = 2000.0
COMMAND_TARGET_US = 50.0


def timed(fn, repeats: int, warmup: int) -> dict:
    for _ in range(warmup):
        fn()
    samples = np.empty(repeats)
    clock = time.perf_counter_ns
    for i in range(repeats):
        start = clock()
        fn()
        samples[i] = clock() - start
    samples /= 1000.0
    return {
        "median_us": round(float(np.median(samples)), 1),
        "p99_us": round(float(np.percentile(samples, 99)), 1),
        "calls": repeats,
    }


def bench_plans(config, repeats: int) -> dict:
    q0 = config.ready_pose()
    steps = np.arange(1, 50)[:, None] * config.plan_dt
    rng = np.random.default_rng(0)
    smooth = q0 + 0.15 * np.sin(2 * np.pi * 0.3 * steps + rng.uniform(0, 2 * np.pi, 14)) * (1 - np.exp(-steps / 0.5))
    smooth -= smooth[0] - q0  # starts at the state
    corrected = smooth + 0.02 * (-1.0) ** np.arange(49)[:, None]

    results = {}
    for name, plan in (("plan_smooth", smooth), ("plan_corrected", corrected)):
        _, report = filter_plan(q0, plan, config)
        for clearance in (False, True):
            key = f"{name}_{'with' if clearance else 'without'}_clearance"
            results[key] = {
                **timed(lambda: filter_plan(q0, plan, config, check_clearance=clearance), repeats, repeats // 10),
                "verdict": report.verdict,
                "steps_changed": report.steps_changed,
            }
    return results


def bench_commands(config, repeats: int) -> dict:
    q0 = config.ready_pose()
    dt = config.control_dt
    results = {}

    guard = CommandGuard.from_config(config)
    guard.reset(q0)
    tick = [0]
    wave = 0.2 * np.sin(2 * np.pi * 0.5 * dt * np.arange(repeats * 2))[:, None] * np.ones(14)

    def track():
        k = tick[0] = tick[0] + 1
        guard.apply(q0 + wave[k % len(wave)], k * dt, k * dt)

    results["command_track"] = timed(track, repeats, repeats // 10)

    far = q0.copy()
    far[[0, 7]] += 1.0

    def clamp():
        k = tick[0] = tick[0] + 1
        if k % 200 == 0:  # start over so that it keeps catching up rather than sitting on the target
            guard.reset(q0)
        guard.apply(far, k * dt, k * dt)

    results["command_clamp"] = timed(clamp, repeats, repeats // 10)

    def hold():
        k = tick[0] = tick[0] + 1
        guard.apply(q0, 0.0, k * dt)  # always stale

    results["command_hold"] = timed(hold, repeats, repeats // 10)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    args = parser.parse_args(argv)
    config = load_embodiment()
    plan_repeats, command_repeats = (100, 2000) if args.quick else (1000, 20000)

    plans = bench_plans(config, plan_repeats)
    commands = bench_commands(config, command_repeats)
    worst_plan = max(v["median_us"] for v in plans.values())
    worst_command = max(v["median_us"] for v in commands.values())
    out = {
        "benchmark": "safety",
        "plan_steps": 49,
        "plan_dt_s": config.plan_dt,
        "control_dt_s": config.control_dt,
        "targets_us": {"plan": PLAN_TARGET_US, "command": COMMAND_TARGET_US},
        "plan": plans,
        "command": commands,
        "worst_median_us": {"plan": worst_plan, "command": worst_command},
        "meets_targets": {"plan": worst_plan < PLAN_TARGET_US, "command": worst_command < COMMAND_TARGET_US},
        "environment": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        },
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
