"""Device layer: one folder per device kind, one sub-folder per implementation (LeRobot's layout).

    eva_core.devices.cameras   Camera interface, configs, factory; `realsense` and `replay` here,
                               `sim` in the eva_sim package (registered through the `eva.cameras`
                               entry-point group).
    eva_core.devices.arms      Arm interface (one arm, 7-D), bimanual pair (14-D), factory; `piper`
                               (piper_sdk over SocketCAN) here, `sim` in eva_sim (`eva.arms` group).
                               Every command passes the command-level safety guard in `Arm.send`.

Nothing here imports ROS; the ROS nodes wrap these classes.
"""
