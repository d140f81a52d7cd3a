"""`ros2 launch eva bringup.launch.py` run by the real ROS 2 launch stack, the way lab operators start it.

The `ros2` commands of README.md's lab section ("On a robot PC with ROS 2 Jazzy") are read from the
README and run here as written, with this machine's `ros2` (the venv's, or a sourced ROS 2's):
- `--show-args` lists the graph's arguments, as `eva bringup --list-arguments` does;
- `sim:=true task:=lift_box` brings up the twin's graph: the same nodes, parameters and remappings as
  `eva bringup` starts for the same arguments; the README's `ros2 action send_goal` goal succeeds; SIGINT
  (Ctrl-C) stops every node cleanly and leaves no process behind;
- `sim:=false devices:=config/devices/lab.yaml` fails before starting anything where that file is absent.
Also: bad arguments fail fast with one line naming the argument, and a node that dies stops the graph.

Skipped, with the reason, where ROS 2 launch is not installed: `make setup` installs it into .venv from
../shared/upstream when that folder exists; a ROS 2 install has it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml

from eva_core.config import repo_root

ROOT = repo_root()
README = ROOT / "README.md"
LAB_SECTION = "## On a robot PC with ROS 2 Jazzy"


def _ros2() -> str | None:
    venv = Path(sys.prefix) / "bin" / "ros2"
    return str(venv) if venv.exists() else shutil.which("ros2")


ROS2 = _ros2()
NO_LAUNCH = (
    None if ROS2 and find_spec("ros2launch") and find_spec("launch_ros") and find_spec("rclpy") and find_spec("eva_interfaces")
    else "ROS 2 launch is not installed: `make setup` installs it into .venv from ../shared/upstream when that "
    "folder exists, a ROS 2 install (source /opt/ros/jazzy/setup.bash) has it"
)
needs_launch = pytest.mark.skipif(NO_LAUNCH is not None, reason=NO_LAUNCH or "")
STARTUP_TIMEOUT_S = 180.0  # five processes importing torch and MuJoCo on a loaded 2-core machine
RESULT_TIMEOUT_S = 300.0


# ------------------------------------------------------------------------- the README's commands

def lab_commands() -> list[str]:
    """Every `ros2 ...` command the lab section shows, in code blocks (comments cut) or inline (a
    span naming a tool, like `ros2 launch`, is no command: a command has at least three words)."""
    text = README.read_text()
    start = text.index(LAB_SECTION)
    end = text.find("\n## ", start + 1)
    section = text[start:end if end != -1 else len(text)]
    commands, prose = [], []
    in_block = False
    for line in section.splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block:
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command.startswith("ros2 "):
                commands.append(command)
        else:
            prose.append(line)
    for span in re.findall(r"`([^`]+)`", "\n".join(prose)):
        span = " ".join(span.split())  # inline code may wrap across lines
        if span.startswith("ros2 ") and len(span.split()) >= 3:
            commands.append(span)
    return commands


def lab_command(*words: str) -> str:
    """The one lab-section command holding all these words."""
    matches = [c for c in lab_commands() if all(w in shlex.split(c) for w in words)]
    assert len(matches) == 1, f"README lab section: expected one ros2 command with {words}, found {matches}"
    return matches[0]


# Each lab-section command and the test that runs it (test_every_lab_command_is_run_by_a_test).
SHOW_ARGS = ("launch", "--show-args")
SIM = ("launch", "sim:=true")
REAL = ("launch", "sim:=false")
SEND_GOAL = ("action", "send_goal")


def argv(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0] == "ros2"
    return [ROS2, *words[1:]]


def launch_values(command: str) -> dict[str, str]:
    return dict(w.split(":=", 1) for w in shlex.split(command) if ":=" in w)


def test_every_lab_command_is_run_by_a_test():
    commands = lab_commands()
    assert commands, "the README's lab section shows no ros2 command"
    claimed = [lab_command(*words) for words in (SHOW_ARGS, SIM, REAL, SEND_GOAL)]
    assert sorted(commands) == sorted(claimed), "a ros2 command of the lab section is run by no test here"


# ------------------------------------------------------------------------------------- processes

def launch_domain() -> int:
    """A domain id of this module's own, next to the suite's: nodes of earlier tests (e.g. a
    `bringup_client` whose departure DDS has not yet noticed) are then never seen by these tests."""
    return (int(os.environ["ROS_DOMAIN_ID"]) + 37) % 100 + 1


def ros_env(tmp_path: Path) -> dict[str, str]:
    from eva.dds_environment import dds_environment

    env = dds_environment()  # localhost discovery (tests/conftest.py)
    env.update(
        ROS_DOMAIN_ID=str(launch_domain()),
        EVA_HOME=str(ROOT),  # as the README exports it
        ROS_LOG_DIR=str(tmp_path / "ros_log"),
        TMPDIR=str(tmp_path),  # launch_ros leaves its parameter files (launch_params_*) in the temp folder
        PYTHONUNBUFFERED="1",
    )
    return env


class Launch:
    """One `ros2 launch` in a process group of its own, its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def wait(self, timeout_s: float) -> int | None:
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def node_processes(self):
        import psutil

        return psutil.Process(self.process.pid).children()

    def group(self) -> list[int]:
        """Processes still in the launch's process group (its nodes, unless they left it)."""
        import psutil

        alive = []
        for proc in psutil.process_iter(["pid", "status"]):
            try:
                if os.getpgid(proc.pid) == self.process.pid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                    alive.append(proc.pid)
            except (ProcessLookupError, psutil.Error):
                pass
        return alive

    def interrupt(self, timeout_s: float = 60.0) -> int | None:
        """Ctrl-C: SIGINT to `ros2 launch` only; it stops its nodes itself."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.wait(timeout_s)

    def stop(self) -> None:
        """Whatever happened in the test: nothing of this launch survives it."""
        if self.interrupt() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while self.group() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.group():
            os.killpg(self.process.pid, signal.SIGKILL)


def run_ros2(args: list[str], env: dict[str, str], timeout_s: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout_s)


# ------------------------------------------------------------------ without starting the graph

@needs_launch
def test_the_eva_package_is_in_the_ament_index(tmp_path):
    from eva.graph import load_graph

    env = ros_env(tmp_path)
    prefix = run_ros2([ROS2, "pkg", "prefix", "eva"], env)
    assert prefix.returncode == 0, prefix.stderr
    share = Path(prefix.stdout.strip()) / "share" / "eva"
    assert (share / "launch" / "bringup.launch.py").is_file() and (share / "package.xml").is_file()
    executables = run_ros2([ROS2, "pkg", "executables", "eva"], env)
    assert executables.returncode == 0, executables.stderr
    listed = {line.split()[1] for line in executables.stdout.splitlines() if line.strip()}
    assert {t.executable for t in load_graph().nodes} <= listed


@needs_launch
def test_show_args_lists_every_graph_argument_as_eva_bringup_does(tmp_path, capsys):
    from eva.graph import load_graph
    from eva_core.cli.main import main

    result = run_ros2(argv(lab_command(*SHOW_ARGS)), ros_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    listed = dict(re.findall(r"^\s+'(\w+)':\n.*?\(default: '([^']*)'\)", result.stdout, re.M | re.S))
    graph = load_graph()
    assert list(listed) == list(graph.arguments)
    for name, argument in graph.arguments.items():
        default = str(argument.default).lower() if argument.type == "bool" else str(argument.default)
        assert listed[name] == default, name
        assert " ".join(argument.description.split()) in " ".join(result.stdout.split()), name
    assert main(["bringup", "--list-arguments"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == list(listed)


@needs_launch
@pytest.mark.parametrize("argument, words", [
    ("task:=nope", ["task", "unknown simulated task 'nope'", "press_button"]),
    ("idm_checkpoint:={tmp}/no_such_checkpoint", ["idm_checkpoint", "no_such_checkpoint does not exist"]),
    ("seed:=many", ["seed", "expected int, got 'many'"]),
])
def test_a_bad_argument_stops_the_launch_before_any_node_starts(tmp_path, argument, words):
    command = [ROS2, "launch", "eva", "bringup.launch.py", "sim:=true", argument.format(tmp=tmp_path)]
    start = time.monotonic()
    result = run_ros2(command, ros_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert time.monotonic() - start < 30, "a bad argument must fail fast"
    error = [line for line in output.splitlines() if "[ERROR]" in line]
    assert len(error) == 1 and all(w in error[0] for w in words), output
    assert "process started" not in output


@needs_launch
def test_the_readme_robot_line_without_its_device_file_starts_nothing(tmp_path):
    command = lab_command(*REAL)
    devices = Path(launch_values(command)["devices"])
    if (ROOT / devices).exists():
        pytest.skip(f"{devices} exists: this command would start the real robot")
    result = run_ros2(argv(command), ros_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 1 and f"devices: {ROOT / devices} does not exist" in output, output
    assert "process started" not in output


@needs_launch
@pytest.mark.ros
def test_a_node_that_dies_stops_the_whole_graph(tmp_path):
    empty = tmp_path / "empty_checkpoint"  # exists, so it passes the argument check; the IDM node fails to load it
    empty.mkdir()
    launch = Launch([ROS2, "launch", "eva", "bringup.launch.py", "sim:=true", f"idm_checkpoint:={empty}"], ros_env(tmp_path), tmp_path / "launch.log")
    try:
        code = launch.wait(STARTUP_TIMEOUT_S)
        output = launch.output()
        assert code == 1, launch.tail()
        assert "node idm exited with code 1 while the graph was running: stopping the graph" in output, launch.tail()
        assert "config.json is missing" in output  # the node's own words
        assert launch.group() == [], "processes of the stopped graph are still running"
    finally:
        launch.stop()


# ------------------------------------------------------------------------ the graph, running

@pytest.fixture(scope="module")
def ros_client():
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=launch_domain())
    node = rclpy.create_node("launch_test_client", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    try:
        yield node, executor
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)


def lab_specs():
    """What `eva bringup` starts for the README command's arguments (eva.bringup.cli resolves the same way)."""
    from eva.graph import load_graph, resolve_graph

    return {spec.name: spec for spec in resolve_graph(load_graph(), launch_values(lab_command(*SIM)))}


def graph_node_names(node) -> set[str]:
    return {name for name, namespace in node.get_node_names_and_namespaces()
            if namespace == "/" and name != node.get_name() and not name.startswith("launch_ros_")}


@pytest.fixture(scope="module")
def lab_graph(tmp_path_factory, ros_client):
    """The README's `ros2 launch eva bringup.launch.py sim:=true task:=lift_box`, up."""
    node, executor = ros_client
    tmp = tmp_path_factory.mktemp("lab_graph")
    launch = Launch(argv(lab_command(*SIM)), ros_env(tmp), tmp / "launch.log")
    try:
        expected = set(lab_specs())
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not expected <= graph_node_names(node):
            assert launch.process.poll() is None, f"ros2 launch exited with {launch.process.returncode}:\n{launch.tail()}"
            assert time.monotonic() < deadline, f"nodes up: {sorted(graph_node_names(node))}, expected {sorted(expected)}\n{launch.tail()}"
            executor.spin_once(timeout_sec=0.2)
        yield launch
    finally:
        launch.stop()


def ros_args(command: list[str]) -> tuple[str, list[str]]:
    """The node name and the remapping rules of a node's command line (`--ros-args -r ...`)."""
    args = command[command.index("--ros-args") + 1:]
    rules = [args[i + 1] for i, a in enumerate(args) if a in ("-r", "--remap")]
    names = [r.split(":=", 1)[1] for r in rules if r.startswith("__node:=")]
    return names[0], [r for r in rules if not r.startswith("__node:=")]


@needs_launch
@pytest.mark.ros
@pytest.mark.slow
def test_ros2_launch_starts_the_graph_eva_bringup_starts(lab_graph, ros_client):
    from rclpy.parameter import parameter_value_to_python
    from rclpy.parameter_client import AsyncParameterClient

    from eva.bringup.supervisor import node_command

    node, executor = ros_client
    specs = lab_specs()
    assert graph_node_names(node) == set(specs)

    # The processes: each graph node's executable, under its name, with eva bringup's remappings.
    scripts = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")}
    launched = {}
    for proc in lab_graph.node_processes():
        command = proc.cmdline()
        name, remappings = ros_args(command)
        launched[name] = (Path(command[1]).name, remappings)
    assert set(launched) == set(specs)
    for name, spec in specs.items():
        executable, remappings = launched[name]
        assert scripts[executable] == f"{spec.module}:main", name
        assert remappings == ros_args(node_command(spec, Path("params.yaml")))[1], name

    # The parameters, as the running nodes hold them (typed: an int stays an int).
    for name, spec in specs.items():
        client = AsyncParameterClient(node, f"/{name}")
        assert client.wait_for_services(timeout_sec=30), f"/{name}: no parameter services"
        future = client.get_parameters(list(spec.parameters))
        executor.spin_until_future_complete(future, timeout_sec=30)
        assert future.done(), f"/{name}: get_parameters unanswered"
        held = {k: parameter_value_to_python(v) for k, v in zip(spec.parameters, future.result().values)}
        assert held == spec.parameters, name


def send_goal_like_ros2_action(node, executor, action_name: str, action_type: str, goal_yaml: str):
    """`ros2 action send_goal NAME TYPE GOAL --feedback` through rclpy, where ros2action is not
    installed (it is not among the upstream sources): the type by its ROS name, the goal from YAML."""
    from rclpy.action import ActionClient

    package, kind, name = action_type.split("/")
    action = getattr(importlib.import_module(f"{package}.{kind}"), name)
    goal = action.Goal()
    for field, value in (yaml.safe_load(goal_yaml) or {}).items():
        setattr(goal, field, value)
    client = ActionClient(node, action, action_name)
    feedback = []
    try:
        assert client.wait_for_server(timeout_sec=60), f"{action_name}: no action server"
        sent = client.send_goal_async(goal, feedback_callback=feedback.append)
        executor.spin_until_future_complete(sent, timeout_sec=60)
        handle = sent.result()
        assert handle is not None and handle.accepted, "goal not accepted"
        result = handle.get_result_async()
        executor.spin_until_future_complete(result, timeout_sec=RESULT_TIMEOUT_S)
        assert result.done(), f"no result within {RESULT_TIMEOUT_S:.0f} s"
        return result.result(), feedback
    finally:
        client.destroy()


@needs_launch
@pytest.mark.ros
@pytest.mark.slow
def test_the_readme_goal_succeeds_on_the_twin(lab_graph, ros_client, tmp_path):
    from action_msgs.msg import GoalStatus

    command = lab_command(*SEND_GOAL)
    words = shlex.split(command)
    if find_spec("ros2action"):  # a ROS 2 install: the command itself
        result = run_ros2(argv(command), ros_env(tmp_path), timeout_s=RESULT_TIMEOUT_S + 60)
        assert result.returncode == 0 and "SUCCEEDED" in result.stdout, result.stdout + result.stderr
        return
    node, executor = ros_client
    outcome, feedback = send_goal_like_ros2_action(node, executor, *words[3:6])
    assert outcome.status == GoalStatus.STATUS_SUCCEEDED and outcome.result.success, (outcome.result, lab_graph.tail())
    assert outcome.result.outcome == "success" and outcome.result.segments > 0
    assert any(f.feedback.stage == "executing" for f in feedback), "--feedback would have shown no executing stage"


@needs_launch
@pytest.mark.ros
@pytest.mark.slow
def test_ctrl_c_stops_every_node_cleanly_and_leaves_no_process(lab_graph):
    nodes = lab_graph.node_processes()
    assert len(nodes) == len(lab_specs())
    code = lab_graph.interrupt(timeout_s=60)
    output = lab_graph.output()
    assert code == 0, lab_graph.tail()
    assert "process has died" not in output, lab_graph.tail()
    assert output.count("process has finished cleanly") == len(nodes), lab_graph.tail()
    assert not [p.pid for p in nodes if p.is_running() and p.status() != "zombie"], "orphaned node processes"
    assert lab_graph.group() == []
