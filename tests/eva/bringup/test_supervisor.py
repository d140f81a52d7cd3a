"""The supervisor: node command lines, parameter files, exit codes, and the stop order."""

from __future__ import annotations

import sys

import yaml

from eva.bringup.supervisor import Supervisor, node_command
from eva.graph import NodeSpec


def test_node_command_passes_name_parameters_and_remappings(tmp_path):
    spec = NodeSpec("idm", "idm_node", {"device": "cpu"}, {"/video_plan": "/plans"})
    command = node_command(spec, tmp_path / "p.yaml", python="py")
    assert command[:3] == ["py", "-m", "eva.nodes.idm_node"]
    assert "__node:=idm" in command and "/video_plan:=/plans" in command and str(tmp_path / "p.yaml") in command


def test_processes_are_started_watched_and_stopped(tmp_path, monkeypatch):
    # Real processes standing in for nodes: one that handles SIGINT and exits 0, one that crashes.
    script = tmp_path / "fake_node.py"
    script.write_text(
        "import sys, time\n"
        "if 'crash' in sys.argv[-1]: sys.exit(3)\n"
        "try:\n    open(sys.argv[-1] + '.ready', 'w').close()\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    sys.exit(0)\n"
    )
    monkeypatch.setattr("eva.bringup.supervisor.node_command", lambda spec, params, python=sys.executable: [python, str(script), str(tmp_path / spec.name)])
    specs = [NodeSpec("executor", "executor_node", {"a": 1}), NodeSpec("crash_planner", "planner_node"), NodeSpec("sim_robot", "sim_robot_node")]
    supervisor = Supervisor(specs, {"PATH": "/usr/bin:/bin"}, tmp_path / "logs")
    supervisor.start()
    assert yaml.safe_load((tmp_path / "logs" / "executor.params.yaml").read_text()) == {"executor": {"ros__parameters": {"a": 1}}}
    import time

    deadline = time.monotonic() + 10
    while "crash_planner" not in supervisor.exited() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert supervisor.exited() == {"crash_planner": 3}
    # SIGINT before a fake node reaches its handler would exit 1, a race of the test, not of the supervisor.
    while not all((tmp_path / f"{n}.ready").exists() for n in ("executor", "sim_robot")) and time.monotonic() < deadline:
        time.sleep(0.05)
    codes = supervisor.stop(timeout_s=5)
    assert codes == {"executor": 0, "crash_planner": 3, "sim_robot": 0}
