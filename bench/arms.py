"""Benchmark the arm command loop: a 200 Hz loop driving both arms through the real piper_sdk to the
PiPER CAN emulator (python-can `virtual` bus, motion from the MuJoCo twin).

    MUJOCO_GL=egl python bench/arms.py [--seconds 5] [--motion twin|first_order]

Prints one JSON object: the achieved command rate (commands per second, both arms together counted
once per tick), the loop period's jitter (p50/p99/max of |period - 5 ms|, ms) and the period itself,
the time one `BimanualArm.send` takes (p50/p99, µs: two guards + 8 CAN frames), the age of the joint
feedback at each tick (ms), the emulator's late ticks, CPU use of the process, and how closely the twin
followed (max |twin - sent| at the end, rad). Everything runs in one Python process on this machine's
cores, emulator included, so the numbers are an upper bound on the driver's own cost.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid

import numpy as np

from eva_core.devices.arms import PiperArmConfig, make_bimanual
from eva_core.embodiment import load_embodiment


def pct(values, scale: float) -> dict:
    a = np.asarray(values) * scale
    return {"p50": round(float(np.percentile(a, 50)), 3), "p99": round(float(np.percentile(a, 99)), 3),
            "max": round(float(a.max()), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--motion", choices=("twin", "first_order"), default="twin")
    args = parser.parse_args()
    os.environ.setdefault("MUJOCO_GL", "egl")
    from eva_sim.can_emulator import FirstOrderMotion, PiperCanEmulator, TwinMotion

    emb = load_embodiment()
    dt = emb.control_dt
    tag = uuid.uuid4().hex[:6]
    channels = {"left": f"can_left_{tag}", "right": f"can_right_{tag}"}
    if args.motion == "twin":
        from eva_sim.robot import SimRobot

        robot = SimRobot(emb)
        robot.reset(emb.ready_pose())
        motion = TwinMotion(robot)
    else:
        motion = FirstOrderMotion(emb)
        for arm in emb.arm_names:
            motion.reset(arm, np.array(emb.arm.ready_pose))

    with PiperCanEmulator(channels, motion) as emu:
        bi = make_bimanual({a: PiperArmConfig(channel=c, can_interface="virtual") for a, c in channels.items()}, emb)
        with bi:
            bi.enable()
            q0 = bi.read_state().position
            amp = np.tile([0.3, 0.2, -0.2, 0.3, 0.3, 0.4, 0.3], 2)
            omega = 2 * np.pi * 0.5  # a 0.5 Hz sine: well inside v_max and a_max
            n = int(round(args.seconds / dt))
            ticks, send_s, ages = [], [], []
            cpu0, wall0 = time.process_time(), time.perf_counter()
            t0 = time.perf_counter()
            for i in range(n):
                start = time.perf_counter()
                ticks.append(start)
                target = q0 + amp * np.sin(omega * i * dt) * np.where(np.arange(14) % 7 == 6, 0.5, 1.0)
                sent = bi.send(target)
                send_s.append(time.perf_counter() - start)
                ages.append(time.time() - bi.read_state().timestamp_s)
                delay = t0 + (i + 1) * dt - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
            time.sleep(0.3)
            follow = float(np.max(np.abs(bi.read_state().position - sent)))
            faults = {k: v.message for k, v in bi.faults.items()}
    periods = np.diff(ticks)
    result = {
        "loop": "200 Hz, both arms, real piper_sdk -> PiPER CAN emulator (virtual bus)",
        "motion": args.motion,
        "seconds": round(wall, 3),
        "ticks": n,
        "target_rate_hz": 1 / dt,
        "achieved_rate_hz": round((n - 1) / (ticks[-1] - ticks[0]), 2),
        "period_ms": pct(periods, 1e3),
        "jitter_ms": pct(np.abs(periods - dt), 1e3),
        "send_us": pct(send_s, 1e6),
        "feedback_age_ms": pct(ages, 1e3),
        "emulator_late_ticks": emu.late_ticks,
        "cpu_cores_used": round(cpu / wall, 2),
        "final_tracking_error_rad": round(follow, 5),
        "faults": faults,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
