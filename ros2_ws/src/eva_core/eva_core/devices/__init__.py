"""Device layer: one folder per device kind, one sub-folder per implementation (LeRobot's layout).

    eva_core.devices.cameras   Camera interface, configs, factory; `realsense` and `replay` here,
                               `sim` in the eva_sim package (registered through the `eva.cameras`
                               entry-point group).

Nothing here imports ROS; the ROS nodes wrap these classes.
"""
