"""The node graph description: one file, validated, resolved the same way for launch and `eva bringup`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from eva.graph import check_arguments, load_graph, resolve_arguments, resolve_graph
from eva_core.config import ConfigError, repo_root

ROOT = repo_root()


def test_shipped_graph_resolves_for_simulation():
    graph = load_graph()
    nodes = {n.name: n for n in resolve_graph(graph, {"sim": True, "task": "lift_box"})}
    assert set(nodes) == {"sim_robot", "planner", "idm", "safety_filter", "executor"}
    assert nodes["sim_robot"].parameters["task"] == "lift_box"
    assert nodes["sim_robot"].parameters["seed"] == 0  # typed: an int, not "0"
    assert Path(nodes["idm"].parameters["checkpoint"]).is_absolute()
    assert Path(nodes["idm"].parameters["checkpoint"]).exists()
    assert nodes["executor"].module == "eva.nodes.executor_node"


def test_real_hardware_swaps_the_simulated_robot_for_driver_and_cameras():
    names = {n.name for n in resolve_graph(load_graph(), {"sim": "false"})}
    assert {"arm_driver", "cameras"} <= names and "sim_robot" not in names


def test_every_executable_is_a_console_script_and_a_module():
    setup = (ROOT / "ros2_ws/src/eva/setup.py").read_text()
    for template in load_graph().nodes:
        assert f'"{template.executable}"' in setup
        assert (ROOT / "ros2_ws/src/eva/eva/nodes" / f"{template.executable}.py").is_file()


def test_bad_argument_values_name_the_argument():
    graph = load_graph()
    with pytest.raises(ConfigError, match="seed"):
        resolve_arguments(graph, {"seed": "many"})
    with pytest.raises(ConfigError, match="sim"):
        resolve_arguments(graph, {"sim": "perhaps"})
    with pytest.raises(ConfigError, match="unknown argument"):
        resolve_arguments(graph, {"tsak": "lift_box"})


def test_arguments_are_checked_against_the_machine_before_anything_starts(tmp_path):
    graph = load_graph()
    check_arguments(graph, resolve_arguments(graph, {"sim": True, "task": "lift_box"}))  # every default is there
    check_arguments(graph, resolve_arguments(graph, {"sim": False, "task": "fold_towel"}))  # no twin, no task check
    with pytest.raises(ConfigError, match=r"^task: unknown simulated task 'nope'; the twin has .*press_button"):
        check_arguments(graph, resolve_arguments(graph, {"task": "nope"}))
    missing = tmp_path / "missing"
    with pytest.raises(ConfigError, match=f"^idm_checkpoint: {missing} does not exist"):
        check_arguments(graph, resolve_arguments(graph, {"idm_checkpoint": str(missing)}))
    # Only files a started node reads: the device file belongs to the robot's nodes.
    check_arguments(graph, resolve_arguments(graph, {"sim": True, "devices": str(missing)}))
    with pytest.raises(ConfigError, match="^devices: "):
        check_arguments(graph, resolve_arguments(graph, {"sim": False, "devices": str(missing)}))


def test_every_graph_parameter_is_one_its_node_declares():
    """A parameter the node never declares is silently dropped by rclpy: the graph would lie."""
    for template in load_graph().nodes:
        source = (ROOT / "ros2_ws/src/eva/eva/nodes" / f"{template.executable}.py").read_text()
        declared = set(re.findall(r'declare\("(\w+)"', source))
        if "load_embodiment_parameter()" in source:
            declared.add("embodiment")
        assert set(template.parameters) <= declared, (template.name, set(template.parameters) - declared)


def test_bad_graph_files_give_one_readable_error(tmp_path):
    bad = tmp_path / "graph.yaml"
    bad.write_text("arguments: {a: {type: str, default: x}}\nnodes:\n  - {name: n, executable: e, parameters: {p: $(var b)}}\n")
    with pytest.raises(ConfigError, match=r"nodes\[0\]\.parameters\.p: unknown argument"):
        load_graph(bad)
    bad.write_text("arguments: {a: {type: colour, default: x}}\nnodes: [{name: n, executable: e}]\n")
    with pytest.raises(ConfigError, match="arguments.a.type"):
        load_graph(bad)
    bad.write_text("nodes: [{name: n, executable: e, when: sometimes}]\n")
    with pytest.raises(ConfigError, match=r"nodes\[0\]\.when"):
        load_graph(bad)


def test_launch_file_reads_the_same_description():
    """The launch file's structure, without ROS 2 launch (tests/eva/graph/test_launch.py runs it)."""
    source = (ROOT / "launch/bringup.launch.py").read_text()
    tree = ast.parse(source)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "generate_launch_description" in functions
    imported = {alias.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for alias in n.names}
    assert {"load_graph", "resolve_graph", "check_arguments", "Node", "DeclareLaunchArgument", "OpaqueFunction"} <= imported
    assert (ROOT / "ros2_ws/src/eva/setup.py").read_text().count("launch/*.launch.py") == 1
