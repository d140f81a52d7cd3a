"""Benchmark the executability reward: score B plans of T steps × 14 dims on one CPU core.

    python bench/reward.py [--plans 1024] [--steps 49] [--repeats 50] [--embodiment YAML]

Prints one JSON object: median/min wall time in ms per call for the numpy and torch backends and
the target (< 50 ms for 1024 plans of 49 steps, issue acceptance). Plans are random walks (jerky
enough to exercise every branch: Huber linear parts and limit violations).
"""

import os

# One thread for every BLAS/OpenMP pool numpy or torch might use; must precede their import.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from eva_core.embodiment import load_embodiment  # noqa: E402
from eva_core.reward import RewardParams, executability_reward  # noqa: E402

TARGET_MS = 50.0


def pin_one_core() -> int | None:
    """Pin this process to one CPU (Linux); returns the core, or None where unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def time_ms(fn, repeats: int) -> dict:
    fn()  # warm-up: first-call allocations, torch kernel selection
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return {"median": round(statistics.median(samples), 3), "min": round(min(samples), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", type=int, default=1024, help="batch size B")
    parser.add_argument("--steps", type=int, default=49, help="steps per plan T (49 frames at 16 fps)")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per backend")
    parser.add_argument("--embodiment", default=None, help="embodiment YAML (default: the repository's)")
    args = parser.parse_args()

    core = pin_one_core()
    params = RewardParams.from_embodiment(load_embodiment(args.embodiment))
    rng = np.random.default_rng(0)
    # float32, as decoded by the IDM; rad per step std 0.03 → a mix of smooth and violating plans.
    actions = np.cumsum(rng.normal(0, 0.03, (args.plans, args.steps, params.dof)), axis=1).astype(np.float32)

    report = {
        "plans": args.plans,
        "steps": args.steps,
        "dof": params.dof,
        "input_dtype": "float32",
        "cpu_core": core,
        "target_ms": TARGET_MS,
        "numpy_ms": time_ms(lambda: executability_reward(actions, params), args.repeats),
    }
    try:
        import torch

        from eva_core.reward.executability_torch import executability_reward_torch
    except ImportError as err:
        report["torch_ms"] = f"unavailable: {err}"
    else:
        torch.set_num_threads(1)
        tensor = torch.from_numpy(actions)
        with torch.no_grad():
            report["torch_ms"] = time_ms(lambda: executability_reward_torch(tensor, params), args.repeats)
        report["torch_version"] = torch.__version__
        report["max_abs_reward_diff"] = float(
            np.max(np.abs(executability_reward_torch(tensor, params).reward.numpy() - executability_reward(actions, params).reward))
        )
    report["numpy_version"] = np.__version__
    report["meets_target"] = {
        name: report[key]["median"] < TARGET_MS
        for name, key in (("numpy", "numpy_ms"), ("torch", "torch_ms"))
        if isinstance(report.get(key), dict)
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
