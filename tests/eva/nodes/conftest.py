"""In-process node tests: each test gets its own rclpy context and a SingleThreadedExecutor."""

from __future__ import annotations

import time

import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("eva_interfaces")
from rclpy.executors import SingleThreadedExecutor  # noqa: E402


class Ros:
    def __init__(self, context):
        self.context = context
        self.executor = SingleThreadedExecutor(context=context)
        self.helper = rclpy.create_node("test_helper", context=context)
        self.executor.add_node(self.helper)

    def add(self, node):
        self.executor.add_node(node)
        return node

    def spin_until(self, predicate, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.executor.spin_once(timeout_sec=0.01)
        return bool(predicate())

    def spin_for(self, seconds: float) -> None:
        self.spin_until(lambda: False, seconds)

    def call(self, client, request, timeout_s: float = 10.0):
        assert client.wait_for_service(timeout_sec=timeout_s), f"no service {client.srv_name}"
        future = client.call_async(request)
        assert self.spin_until(future.done, timeout_s), f"{client.srv_name}: no answer"
        return future.result()


@pytest.fixture
def ros():
    context = rclpy.Context()
    rclpy.init(context=context)
    r = Ros(context)
    try:
        yield r
    finally:
        nodes = list(r.executor.get_nodes())  # before shutdown: it forgets them
        r.executor.shutdown()
        for node in nodes:
            for waitable in list(node.waitables):  # action servers and clients: destroy_node leaves them alive
                if hasattr(waitable, "destroy"):
                    waitable.destroy()
            node.destroy_node()  # leave discovery now, not when garbage-collected
        rclpy.shutdown(context=context)
