from glob import glob

from setuptools import find_packages, setup

package_name = "eva"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test", "tests"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
        # Launch files live at the repository's top level (launch/); colcon installs them here so
        # `ros2 launch eva bringup.launch.py` finds them.
        ("share/" + package_name + "/launch", glob("../../../launch/*.launch.py")),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="EVA developers",
    maintainer_email="eva@example.org",
    description="ROS 2 nodes and launch files of the EVA stack (thin adapters over eva_core).",
    license="Apache-2.0",
    entry_points={
        # Node executables (`ros2 run eva NODE`); config/bringup/graph.yaml names them.
        "console_scripts": [
            f"{node} = eva.nodes.{node}:main"
            for node in ("sim_robot_node", "arm_driver_node", "camera_node", "planner_node", "idm_node", "safety_node", "executor_node")
        ],
        "eva.cli": ["bringup = eva.bringup.cli:register"],
    },
)
