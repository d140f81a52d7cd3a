"""Suite-wide settings: keep DDS on this machine and rendering off-screen, whatever the caller set."""

import os
import random

# Fast DDS would otherwise multicast discovery onto the real network (shared/spec/ros2-on-pypi.md).
# Set before anything imports rclpy; a domain id of our own keeps parallel runs apart.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 101)))
os.environ.setdefault("MUJOCO_GL", "egl")
