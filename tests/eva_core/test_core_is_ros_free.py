"""The core must stay usable without ROS: importing every module of it never pulls in rclpy."""

import subprocess
import sys

SCRIPT = """
import importlib, pkgutil, sys
import eva_core
for module in pkgutil.walk_packages(eva_core.__path__, "eva_core."):
    importlib.import_module(module.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("rclpy", "rcl_interfaces", "launch", "launch_ros"))
print(len([m for m in sys.modules if m.startswith("eva_core")]))
sys.exit(f"core imported ROS modules: {bad}" if bad else 0)
"""


def test_importing_all_of_eva_core_never_imports_rclpy():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    assert int(result.stdout.split()[-1]) > 5  # the walk really imported the package's modules
