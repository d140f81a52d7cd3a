"""The ROS 2 package of the EVA stack: thin nodes over `eva_core` plus the graph description.

Nodes only declare parameters, convert messages and call the core; all logic lives in `eva_core`,
which never imports rclpy.
"""
