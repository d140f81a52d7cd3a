"""Start each node of the graph as its own process, watch them, and stop them in a safe order.

Every process gets the same environment (DDS pinned to localhost and one domain id by default; the
ROS wheels need LD_LIBRARY_PATH passed through, see shared/spec/ros2-on-pypi.md), its parameters in
a YAML file, and a log file. Stopping sends SIGINT to the command producers first (executor, then
planner/IDM/safety) and to the robot last, so the arms are held and then disabled by their own node
while nothing upstream can still command them; a process that ignores SIGINT gets SIGTERM, then
SIGKILL.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from eva.graph import NodeSpec

# Stop order: what commands the arms goes first, what drives them goes last.
_STOP_FIRST = ("executor",)
_STOP_LAST = ("sim_robot", "arm_driver", "cameras")


@dataclass
class NodeProcess:
    spec: NodeSpec
    process: subprocess.Popen
    log_path: Path
    started_s: float

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def returncode(self) -> int | None:
        return self.process.poll()


def node_command(spec: NodeSpec, params_file: Path, python: str = sys.executable) -> list[str]:
    command = [python, "-m", spec.module, "--ros-args", "-r", f"__node:={spec.name}", "--params-file", str(params_file)]
    for source, target in spec.remappings.items():
        command += ["-r", f"{source}:={target}"]
    return command


class Supervisor:
    def __init__(self, specs: Sequence[NodeSpec], env: Mapping[str, str], log_dir: str | Path):
        self.specs = list(specs)
        self.env = dict(env)
        self.log_dir = Path(log_dir)
        self.nodes: dict[str, NodeProcess] = {}

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for spec in self.specs:
            params = self.log_dir / f"{spec.name}.params.yaml"
            params.write_text(yaml.safe_dump({spec.name: {"ros__parameters": dict(spec.parameters)}}, sort_keys=False))
            log_path = self.log_dir / f"{spec.name}.log"
            log = open(log_path, "wb")  # noqa: SIM115 - the child owns it for its lifetime
            process = subprocess.Popen(node_command(spec, params), env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            self.nodes[spec.name] = NodeProcess(spec, process, log_path, time.monotonic())

    def exited(self) -> dict[str, int]:
        """Nodes that are no longer running, with their exit codes."""
        return {name: node.returncode for name, node in self.nodes.items() if node.returncode is not None}

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            return "\n".join(self.nodes[name].log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Fault injection and emergencies: signal one node."""
        self.nodes[name].process.send_signal(sig)

    def stop(self, timeout_s: float = 10.0) -> dict[str, int]:
        """Stop every node (see the module docstring for the order); returns exit codes by name."""
        names = list(self.nodes)
        first = [n for n in _STOP_FIRST if n in names]
        last = [n for n in _STOP_LAST if n in names]
        middle = [n for n in names if n not in first and n not in last]
        for group in (first, middle, last):  # one group at a time: the robot node sees the commands stop
            self._stop_group([self.nodes[n] for n in group], timeout_s)
        return {name: node.returncode for name, node in self.nodes.items()}

    @staticmethod
    def _stop_group(nodes: list[NodeProcess], timeout_s: float) -> None:
        running = [n for n in nodes if n.returncode is None]
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            for node in running:
                try:
                    node.process.send_signal(sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + (timeout_s if sig != signal.SIGKILL else 5.0)
            while running and time.monotonic() < deadline:
                running = [n for n in running if n.returncode is None]
                time.sleep(0.05)
            if not running:
                return
