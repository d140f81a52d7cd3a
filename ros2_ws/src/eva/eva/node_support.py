"""What every EVA node shares: typed parameters, the clock in seconds, diagnostics, and `main`.

Nodes run one per process on a SingleThreadedExecutor (MultiThreadedExecutor is starved with the
PyPI wheels, see shared/spec/ros2-on-pypi.md). SIGINT and SIGTERM end the spin cleanly so a node can
leave the arms holding before it exits (`EvaNode.on_shutdown`).
"""

from __future__ import annotations

import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode
from rclpy.node import Node
from rclpy.task import Future

from eva_core.config import ConfigError
from eva_core.embodiment import EmbodimentConfig, load_embodiment

LEVELS = {"ok": DiagnosticStatus.OK, "warn": DiagnosticStatus.WARN, "error": DiagnosticStatus.ERROR, "stale": DiagnosticStatus.STALE}


class EvaNodeMixin:
    """Typed parameter declaration, seconds-based time and diagnostics, for Node and LifecycleNode."""

    def declare(self, name: str, default: Any, description: str, *, read_only: bool = True) -> Any:
        """Declare a typed parameter (its type is the default's) and return its value."""
        descriptor = ParameterDescriptor(description=description, read_only=read_only)
        return self.declare_parameter(name, default, descriptor).value

    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    async def sleep_s(self, seconds: float) -> None:
        """Let the node's executor run other callbacks for `seconds` (await it in an async callback)."""
        done = Future()
        timer = self.create_timer(seconds, lambda: done.done() or done.set_result(True), callback_group=ReentrantCallbackGroup())
        try:
            await done
        finally:
            self.destroy_timer(timer)

    async def wait_for_service_s(self, client, timeout_s: float, poll_s: float = 0.05) -> bool:
        """Whether `client`'s service shows up within `timeout_s`, without blocking the executor.

        Each process discovers the others on its own: the job seeing a service says nothing about
        whether this node has seen it yet, so a first call right after start-up waits here.
        """
        deadline = time.monotonic() + timeout_s
        while not client.service_is_ready():
            if time.monotonic() >= deadline:
                return False
            await self.sleep_s(poll_s)
        return True

    def load_embodiment_parameter(self) -> EmbodimentConfig:
        path = self.declare("embodiment", "", "embodiment YAML (joint names, limits); empty: the checkout's default")
        return load_embodiment(path or None)

    def diagnostics_publisher(self):
        return self.create_publisher(DiagnosticArray, "/diagnostics", 10)

    def publish_status(self, publisher, level: str, message: str, **values: Any) -> None:
        status = DiagnosticStatus(level=LEVELS[level], name=self.get_fully_qualified_name(), message=message, hardware_id=self.get_name())
        status.values = [KeyValue(key=str(k), value=str(v)) for k, v in values.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        publisher.publish(array)

    def on_shutdown(self) -> None:
        """Called once before the node is destroyed (SIGINT, SIGTERM or a crash): leave things safe."""


class EvaNode(EvaNodeMixin, Node):
    """A plain EVA node."""


class EvaLifecycleNode(EvaNodeMixin, LifecycleNode):
    """An EVA lifecycle node (drivers: configure opens the device, activate enables commands)."""


def main_for(factory: Callable[[], EvaNode]) -> Callable[[list[str] | None], int]:
    """A console-script `main` that spins the node made by `factory` until SIGINT/SIGTERM."""

    def main(args: list[str] | None = None) -> int:
        rclpy.init(args=args)
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM ends the spin like Ctrl-C
        node = None
        code = 0
        try:
            node = factory()
            executor = SingleThreadedExecutor()
            executor.add_node(node)
            executor.spin()
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        except ConfigError as err:
            print(f"{sys.argv[0]}: {err}", file=sys.stderr)
            code = 2
        except Exception:
            traceback.print_exc()
            code = 1
        finally:
            if node is not None:
                try:
                    node.on_shutdown()
                finally:
                    node.destroy_node()
            rclpy.try_shutdown()
        return code

    return main
