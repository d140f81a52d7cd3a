"""The ROS-free packages must stay usable without ROS: importing every module of the core, the twin or
the training code never pulls in rclpy (only the `eva` package holds ROS nodes)."""

import subprocess
import sys

import pytest

SCRIPT = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.walk_packages(package.__path__, sys.argv[1] + "."):
    importlib.import_module(module.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("rclpy", "rcl_interfaces", "launch", "launch_ros"))
print(len([m for m in sys.modules if m.split(".")[0] == sys.argv[1]]))
sys.exit(f"{sys.argv[1]} imported ROS modules: {bad}" if bad else 0)
"""


@pytest.mark.parametrize("package", ["eva_core", "eva_sim", "eva_train"])
def test_importing_all_of_a_ros_free_package_never_imports_rclpy(package):
    result = subprocess.run([sys.executable, "-c", SCRIPT, package], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    assert int(result.stdout.split()[-1]) > 5  # the walk really imported the package's modules
