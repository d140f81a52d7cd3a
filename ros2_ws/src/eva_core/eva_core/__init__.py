"""EVA core: the ROS-free library behind the deployment stack.

Everything here is plain Python (numpy, torch, ...) and never imports rclpy, so it can be tested and
used offline; the ROS 2 package `eva` only adapts messages to these functions.
"""

__version__ = "0.1.0"
