"""The planner node with the real `wan` backend (a tiny random Wan2.1 built in code, loaded through the
real diffusers loading path with a LoRA adapter) inside the whole graph, the rest of the chain
unchanged: plan -> IDM -> safety -> executor on the simulated robot.

A random video model plans noise, so the decoded plans are expected to be discarded; what is checked
is that wan plans flow through every stage (published, decoded, scored, filtered, judged), that the
executor ends the run with an outcome, and that every command stayed within the limits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("rclpy")
pytest.importorskip("eva_interfaces")
pytest.importorskip("diffusers")

from eva.bringup.job import MainJob  # noqa: E402
from eva.dds_environment import dds_environment  # noqa: E402
from eva.graph import load_graph, resolve_arguments, resolve_graph  # noqa: E402
from eva_core.embodiment import load_embodiment  # noqa: E402
from eva_core.planning.wan.tiny import build_tiny_lora, build_tiny_wan  # noqa: E402
from eva_core.runs import load_plan, load_run  # noqa: E402
from eva_core.safety import limit_violations  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.slow]
EMB = load_embodiment()


def test_wan_plans_flow_through_the_graph(tmp_path):
    model = tmp_path / "tiny_wan"
    build_tiny_wan(model, seed=0)
    lora = tmp_path / "lora.safetensors"
    build_tiny_lora(model, lora, rank=4)
    planner_config = tmp_path / "wan.yaml"
    planner_config.write_text(yaml.safe_dump({
        "model_dir": str(model), "loras": [{"path": str(lora), "weight": 0.8}], "device": "cpu", "dtype": "float32",
        "steps": 2, "height": 16, "width": 16, "history_mode": "diffusion_forcing",
    }))
    executor_config = tmp_path / "executor.yaml"
    executor_config.write_text(yaml.safe_dump({"max_consecutive_rejects": 2, "plan_timeout_s": 120.0}))
    values = {"sim": True, "task": "press_button", "planner": "wan", "planner_config": str(planner_config), "executor_config": str(executor_config)}
    graph = load_graph()
    job = MainJob(resolve_graph(graph, values), dds_environment(), resolve_arguments(graph, values), runs_dir=tmp_path / "runs", log=print)
    try:
        job.wait_for_graph(sim=True)
        outcome = job._episode("press_button", 0, seed=0, max_segments=2)
    finally:
        job.shutdown()
    assert outcome.outcome in ("fault", "segment_limit", "success"), outcome
    episode = load_run(job.run_dir)["episodes"][0]
    assert episode["plans"], "no wan plan reached the recorder"
    plan = load_plan(Path(episode["path"]) / episode["plans"][0]["directory"])
    assert plan["backend"] == "wan"
    assert plan["video"]["frames"] == 49 and (plan["video"]["height"], plan["video"]["width"]) == (16, 16)
    assert plan["decoded"]["steps"] == 49 and plan["filtered"] is not None  # decoded by the IDM, judged by the filter
    commands = np.load(Path(episode["path"]) / "commands.npz")["command_q"]
    violations = limit_violations(commands[0], None, commands[1:], EMB.control_dt, EMB.limits)
    assert violations == {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}, violations
