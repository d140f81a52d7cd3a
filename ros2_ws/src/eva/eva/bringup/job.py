"""The main job: the graph's processes, the client node, the run folder, and a clean stop.

Failure policy: a node that exits while the job runs ends the episode in progress (the executor
reports the fault and holds the arms; if the executor itself is gone the goal is abandoned) and no
further episode starts. Shutdown always stops the processes in the supervisor's safe order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import rclpy
from rclpy.executors import SingleThreadedExecutor

from eva.bringup.episode_client import EpisodeClient, EpisodeOutcome, GraphError
from eva.bringup.supervisor import Supervisor
from eva.graph import NodeSpec
from eva_core.embodiment import load_embodiment
from eva_core.runs import RunRecorder

STARTUP_TIMEOUT_S = 120.0  # nodes import torch/MuJoCo and load models: slow on a loaded 2-core box
SETTLE_AFTER_RESET_S = 0.4  # fresh frames of the new episode reach the executor before the goal
DRAIN_AFTER_EPISODE_S = 0.5  # last plans/frames of the episode reach the recorder
# ... and the executor's grace hold (0.5 s of hold commands after a run) is over: the next episode's
# reset must not be followed by the old pose's hold commands (the twin's arms pulled back to it, and
# the next record starting with a jump). Waited for up to COMMANDS_QUIET_MAX_S.
COMMANDS_QUIET_S = 0.2
COMMANDS_QUIET_MAX_S = 5.0
RESULT_TIMEOUT_S = 900.0  # the job gives up on an execute_task result after this (the executor has its own limits)


class MainJob:
    def __init__(self, specs: Sequence[NodeSpec], env: Mapping[str, str], arguments: Mapping, *, runs_dir: Path,
                 record: bool = True, log: Callable[[str], None] = print, live: str = "off"):
        self.log = log
        self.arguments = dict(arguments)
        self.embodiment = load_embodiment(arguments.get("embodiment"))
        task = str(arguments.get("task", "")) if arguments.get("sim", True) else "real"
        self.recorder = RunRecorder(runs_dir, task, self.embodiment, config={k: v for k, v in arguments.items()}) if record else None
        self.run_dir = Path(self.recorder.directory) if self.recorder else runs_dir / time.strftime("%Y%m%d-%H%M%S_logs")
        self.supervisor = Supervisor(specs, env, self.run_dir / "logs")
        self.episodes: list[EpisodeOutcome] = []
        self.graph_ok = True
        self.problem = ""
        self._stopped = False
        self.log(f"starting {len(specs)} nodes ({', '.join(s.name for s in specs)}); logs in {self.run_dir / 'logs'}")
        self.supervisor.start()
        rclpy.init()
        from eva.bringup.live_view import LiveView

        view = LiveView.open(live, self.run_dir, list(self.embodiment.joint_names))
        self.client = EpisodeClient(self.embodiment, self.recorder, live=view)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.client)

    # ---------------------------------------------------------------------------------------- runs

    def spin(self, timeout_s: float) -> None:
        self.executor.spin_once(timeout_sec=timeout_s)

    def crashed(self) -> str | None:
        exited = self.supervisor.exited()
        if not exited:
            return None
        name, code = next(iter(exited.items()))
        return f"node {name} exited (code {code}):\n{self.supervisor.log_tail(name)}"

    def _spin_watching(self, timeout_s: float) -> None:
        self.spin(timeout_s)
        crash = self.crashed()
        if crash:
            raise GraphError(crash)

    def wait_for_graph(self, sim: bool) -> None:
        start = time.monotonic()
        self.client.wait_for_graph(self._spin_watching, STARTUP_TIMEOUT_S, [s.name for s in self.supervisor.specs], sim=sim)
        self.log(f"graph up in {time.monotonic() - start:.1f} s")

    def run_sim(self, task: str, episodes: int, seed: int, *, max_segments: int = 0) -> dict:
        try:
            self.wait_for_graph(sim=True)
            for index in range(episodes):
                outcome = self._episode(task, index, seed + index, max_segments)
                self.episodes.append(outcome)
                status = "success" if outcome.success else f"{outcome.outcome} ({outcome.reason})"
                self.log(f"episode {index + 1}/{episodes} seed {outcome.seed}: {status}, {outcome.segments} segments, {outcome.duration_s:.1f} s")
                crash = self.crashed()
                if crash:
                    raise GraphError(crash)
        except GraphError as err:
            self.graph_ok, self.problem = False, str(err)
            self.log(f"stopping: {err}")
        return self.summary()

    def _episode(self, task: str, index: int, seed: int, max_segments: int) -> EpisodeOutcome:
        reset = self.client.reset(task, seed, self._spin_watching)
        if self.recorder:
            self.recorder.begin_episode(index, seed, reset.instruction)
        settle = time.monotonic() + SETTLE_AFTER_RESET_S
        while time.monotonic() < settle:
            self._spin_watching(0.05)
        result = self.client.execute(
            # The task's own max_duration_s is the expert's budget; closed-loop runs pause to plan, so
            # the executor's limits (segments, max_duration_s in config/executor.yaml) apply instead.
            reset.instruction, task, 0.0, self.spin, RESULT_TIMEOUT_S,
            max_segments=max_segments, abort=self._executor_gone,
        )
        drain, give_up = time.monotonic() + DRAIN_AFTER_EPISODE_S, time.monotonic() + COMMANDS_QUIET_MAX_S
        while time.monotonic() < drain or (self.client.commands_quiet_for() < COMMANDS_QUIET_S and time.monotonic() < give_up):
            self.spin(0.05)
        outcome = EpisodeOutcome(seed, bool(result.success), result.outcome, result.reason, int(result.segments),
                                 int(result.plans_rejected), float(result.duration_s))
        if self.recorder:
            self.recorder.end_episode(success=outcome.success, outcome=outcome.outcome, reason=outcome.reason,
                                      segments=outcome.segments, plans_rejected=outcome.plans_rejected, duration_s=outcome.duration_s)
        return outcome

    def _executor_gone(self) -> str | None:
        code = self.supervisor.exited().get("executor")
        return None if code is None else f"executor exited with code {code}"

    def run_real(self, instruction: str | None, *, max_segments: int = 0) -> dict:
        try:
            self.wait_for_graph(sim=False)
            if instruction is None:
                self.log("graph up; send goals to /executor/execute_task (Ctrl-C stops everything)")
                while True:
                    self._spin_watching(0.1)
            result = self.client.execute(instruction, "", 0.0, self.spin, 3600.0, max_segments=max_segments, abort=self._executor_gone)
            self.episodes.append(EpisodeOutcome(-1, bool(result.success), result.outcome, result.reason, int(result.segments),
                                                int(result.plans_rejected), float(result.duration_s)))
        except GraphError as err:
            self.graph_ok, self.problem = False, str(err)
            self.log(f"stopping: {err}")
        return self.summary()

    # ------------------------------------------------------------------------------------- results

    def summary(self, interrupted: bool = False) -> dict:
        n = len(self.episodes)
        summary = {
            "task": self.arguments.get("task") if self.arguments.get("sim", True) else None,
            "success_rate": (sum(e.success for e in self.episodes) / n) if n else 0.0,
            "episodes": [e.to_json() for e in self.episodes],
            "graph_ok": self.graph_ok and not interrupted,
            "problem": "interrupted (Ctrl-C)" if interrupted else self.problem,
            "run_dir": str(self.run_dir),
        }
        return summary

    def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        codes = self.supervisor.stop()
        self.log("nodes stopped: " + ", ".join(f"{name} {code}" for name, code in codes.items()))
        self.executor.shutdown()
        self.client.destroy_node()
        rclpy.try_shutdown()
        if self.recorder:
            self.recorder.close()
        self.log(f"run folder: {self.run_dir}")
