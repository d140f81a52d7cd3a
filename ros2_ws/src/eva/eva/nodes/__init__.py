"""The EVA ROS 2 nodes: thin adapters over eva_core. Each module's `main` is a console script."""
