"""Set one parameter of a running node from its own process (what `ros2 param set` does).

    python set_parameter.py /sim_robot publish_cameras false
"""

import sys

import rclpy
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient


def parse(text: str):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def main() -> int:
    node_name, name, value = sys.argv[1], sys.argv[2], parse(sys.argv[3])
    rclpy.init()
    node = rclpy.create_node("test_parameter_setter")
    client = AsyncParameterClient(node, node_name)
    if not client.wait_for_services(timeout_sec=20.0):
        print(f"{node_name}: parameter services not found", file=sys.stderr)
        return 1
    future = client.set_parameters([Parameter(name, value=value)])
    rclpy.spin_until_future_complete(node, future, timeout_sec=20.0)
    ok = future.done() and all(r.successful for r in future.result().results)
    node.destroy_node()
    rclpy.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
