"""The node graph description (config/bringup/graph.yaml): read once, resolved against arguments.

Both `launch/bringup.launch.py` (ROS 2 launch, on a robot PC) and `eva bringup` (one process per node,
anywhere) call `resolve_graph`, so the two cannot drift apart.

    graph = load_graph()                                   # the description, validated
    values = {"sim": True, "task": "lift_box"}
    check_arguments(graph, resolve_arguments(graph, values))   # missing file, unknown task: ConfigError
    nodes = resolve_graph(graph, values)
    for node in nodes: node.name, node.executable, node.parameters, node.remappings
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eva_core.config import ConfigError, load_yaml, repo_root

ARGUMENT_TYPES = ("bool", "int", "float", "str", "path")
_VAR = re.compile(r"^\$\(var ([A-Za-z_][A-Za-z0-9_]*)\)$")
_VAR_ANYWHERE = re.compile(r"\$\(var ([A-Za-z_][A-Za-z0-9_]*)\)")


def default_graph_path() -> Path:
    return eva_home() / "config" / "bringup" / "graph.yaml"


def eva_home() -> Path:
    """Where relative paths (config/, models/) are taken from: $EVA_HOME, else this checkout."""
    home = os.environ.get("EVA_HOME")
    return Path(home) if home else repo_root()


@dataclass(frozen=True)
class Argument:
    name: str
    type: str
    default: Any
    description: str

    def parse(self, value: Any) -> Any:
        """A command-line string or a YAML value as this argument's type (ConfigError if it is not)."""
        try:
            if self.type == "bool":
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text in ("true", "1", "yes", "on"):
                    return True
                if text in ("false", "0", "no", "off"):
                    return False
                raise ValueError(value)
            if self.type == "int":
                if isinstance(value, bool):
                    raise ValueError(value)
                return int(str(value), 0) if isinstance(value, str) else int(value)
            if self.type == "float":
                return float(value)
            if self.type == "path":
                path = Path(os.path.expanduser(str(value)))
                return str(path if path.is_absolute() else eva_home() / path)
            return str(value)
        except (TypeError, ValueError):
            raise ConfigError(self.name, f"expected {self.type}, got {value!r}") from None


@dataclass(frozen=True)
class NodeTemplate:
    name: str
    executable: str
    when: str  # "always", "sim" or "real"
    parameters: Mapping[str, Any]
    remappings: Mapping[str, str]


@dataclass(frozen=True)
class GraphDescription:
    arguments: Mapping[str, Argument]
    nodes: tuple[NodeTemplate, ...]
    source: str = ""


@dataclass(frozen=True)
class NodeSpec:
    """One node to start: what `launch_ros.actions.Node` and `eva bringup` need."""

    name: str
    executable: str  # console script of the eva package (`ros2 run eva EXECUTABLE`)
    parameters: dict[str, Any] = field(default_factory=dict)
    remappings: dict[str, str] = field(default_factory=dict)

    @property
    def module(self) -> str:
        """The Python module whose `main()` the executable runs."""
        return f"eva.nodes.{self.executable}"


def load_graph(path: str | Path | None = None) -> GraphDescription:
    path = Path(path) if path is not None else default_graph_path()
    raw = load_yaml(path)
    source = str(path)
    arguments: dict[str, Argument] = {}
    for name, spec in (raw.get("arguments") or {}).items():
        key = f"arguments.{name}"
        if not isinstance(spec, Mapping) or "default" not in spec:
            raise ConfigError(key, "needs a mapping with type, default and description", source)
        kind = spec.get("type", "str")
        if kind not in ARGUMENT_TYPES:
            raise ConfigError(f"{key}.type", f"must be one of {', '.join(ARGUMENT_TYPES)}, got {kind!r}", source)
        argument = Argument(name, kind, spec["default"], str(spec.get("description", "")))
        argument.parse(argument.default)  # a bad default is a bad file
        arguments[name] = argument
    nodes = []
    names = set()
    for i, spec in enumerate(raw.get("nodes") or []):
        key = f"nodes[{i}]"
        if not isinstance(spec, Mapping) or not spec.get("name") or not spec.get("executable"):
            raise ConfigError(key, "needs name and executable", source)
        if spec["name"] in names:
            raise ConfigError(f"{key}.name", f"duplicate node name {spec['name']!r}", source)
        names.add(spec["name"])
        when = spec.get("when", "always")
        if when not in ("always", "sim", "real"):
            raise ConfigError(f"{key}.when", f"must be always, sim or real, got {when!r}", source)
        parameters = dict(spec.get("parameters") or {})
        for pname, value in parameters.items():
            for var in _VAR_ANYWHERE.findall(str(value)) if isinstance(value, str) else ():
                if var not in arguments:
                    raise ConfigError(f"{key}.parameters.{pname}", f"unknown argument $(var {var})", source)
        nodes.append(NodeTemplate(str(spec["name"]), str(spec["executable"]), when, parameters, dict(spec.get("remappings") or {})))
    if not nodes:
        raise ConfigError("nodes", "the graph has no nodes", source)
    return GraphDescription(arguments, tuple(nodes), source)


def resolve_arguments(graph: GraphDescription, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every argument's typed value: the given ones parsed, the rest their defaults."""
    values = dict(values or {})
    unknown = sorted(set(values) - set(graph.arguments))
    if unknown:
        raise ConfigError(unknown[0], f"unknown argument; the graph takes {', '.join(graph.arguments)}", graph.source)
    return {name: arg.parse(values.get(name, arg.default)) for name, arg in graph.arguments.items()}


def _substitute(value: Any, args: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _VAR.match(value)
        if whole:
            return args[whole.group(1)]  # keeps the argument's type
        return _VAR_ANYWHERE.sub(lambda m: str(args[m.group(1)]), value)
    if isinstance(value, list):
        return [_substitute(v, args) for v in value]
    return value


def _started(graph: GraphDescription, args: Mapping[str, Any]) -> list[NodeTemplate]:
    mode = "sim" if args.get("sim", False) else "real"
    return [t for t in graph.nodes if t.when in ("always", mode)]


def resolve_graph(graph: GraphDescription, values: Mapping[str, Any] | None = None) -> list[NodeSpec]:
    """The nodes to start for these argument values, parameters substituted."""
    args = resolve_arguments(graph, values)
    return [
        NodeSpec(t.name, t.executable, {k: _substitute(v, args) for k, v in t.parameters.items()}, dict(t.remappings))
        for t in _started(graph, args)
    ]


def check_arguments(graph: GraphDescription, args: Mapping[str, Any]) -> None:
    """Refuse what would make a node fail once started, before anything starts (ConfigError).

    `args` are typed values (`resolve_arguments`). Checked: every path argument a started node reads
    exists, and in simulation the task is one the twin has. Both `eva bringup` and the launch file call
    this, so a typo stops the start with one line naming the argument instead of a node's traceback.
    """
    templates = _started(graph, args)
    used = {var for t in templates for v in t.parameters.values() if isinstance(v, str) for var in _VAR_ANYWHERE.findall(v)}
    for name, argument in graph.arguments.items():
        if name in used and argument.type == "path" and not Path(args[name]).exists():
            raise ConfigError(name, f"{args[name]} does not exist (relative paths are taken from {eva_home()})")
    if args.get("sim", False) and "task" in used:
        from eva_sim.tasks import task_names  # only in simulation: the twin's task registry

        if args["task"] not in task_names():
            raise ConfigError("task", f"unknown simulated task {args['task']!r}; the twin has {', '.join(task_names())} (`eva sim tasks`)")
