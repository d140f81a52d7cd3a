"""The environment every ROS 2 process we start runs with.

Fast DDS multicasts discovery onto the real network unless told otherwise (the PyPI wheels ignore
ROS_LOCALHOST_ONLY), so on build machines and in simulation we pin discovery to localhost and give each
run its own domain id so parallel runs cannot see each other. A lab network sets `lab_network=True`.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping

# Fast DDS on Linux maps domain ids to UDP ports; 0..101 are always valid, 0 is everyone's default.
_DOMAIN_RANGE = (1, 101)


def dds_environment(
    base: Mapping[str, str] | None = None,
    *,
    domain_id: int | None = None,
    lab_network: bool = False,
) -> dict[str, str]:
    """A copy of `base` (default: os.environ) with the DDS discovery settings of this project.

    The whole environment is kept: with the ROS wheels, a child that inherits the bootstrap guard but
    not LD_LIBRARY_PATH cannot load rclpy's libraries (shared/spec/ros2-on-pypi.md).
    """
    env = dict(os.environ if base is None else base)
    if lab_network:
        env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "SUBNET")
    else:
        env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    if domain_id is not None:
        env["ROS_DOMAIN_ID"] = str(domain_id)
    elif "ROS_DOMAIN_ID" not in env:
        env["ROS_DOMAIN_ID"] = str(random.randint(*_DOMAIN_RANGE))
    return env
