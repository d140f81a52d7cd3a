"""Benchmark IDM decoding: one 49-frame clip (a plan's length) through the shipped model on the CPU.

    python bench/idm.py [--checkpoint models/idm_sim] [--frames 49] [--repeats 10] [--threads 2]

Prints one JSON object: median/min wall time per decode in ms, and the target (< 1 s, issue acceptance).
The clip is random pixels at the model's input size; decode time does not depend on its content.
"""

import argparse
import json
import statistics
import time

import numpy as np
import torch

from eva_core.idm.inference import IdmDecoder

TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="models/idm_sim")
    parser.add_argument("--frames", type=int, default=49)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    decoder = IdmDecoder.load(args.checkpoint, "cpu")
    h, w = decoder.config.input_hw
    clip = np.random.default_rng(0).integers(0, 256, (args.frames, h, w, 3), dtype=np.uint8)
    decoder.decode(clip)  # warm-up
    samples = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        decoder.decode(clip)
        samples.append(time.perf_counter() - t)
    print(json.dumps({
        "checkpoint": args.checkpoint, "frames": args.frames, "input_hw": [h, w], "threads": args.threads,
        "median_ms": 1000 * statistics.median(samples), "min_ms": 1000 * min(samples),
        "target_ms": 1000 * TARGET_S, "ok": statistics.median(samples) < TARGET_S,
    }))


if __name__ == "__main__":
    main()
