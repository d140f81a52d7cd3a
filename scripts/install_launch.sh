#!/usr/bin/env bash
# `ros2 launch eva bringup.launch.py` from the venv with nothing sourced, as on a lab PC. Called by
# setup.sh when no ROS 2 is sourced; runs on its own too (VENV=.venv by default). Two parts:
#
# 1. The eva package in the venv's ament index, the layout `colcon build` gives it on a robot PC:
#    share/ament_index/resource_index/packages/eva, share/eva/package.xml, share/eva/launch/*.launch.py
#    (links to launch/ in the checkout: edits take effect, like --symlink-install) and lib/eva/<node>
#    (one script per console script of the package; launch_ros starts nodes from there). The Python
#    code stays the editable install. A .pth file adds the venv to AMENT_PREFIX_PATH, which a sourced
#    ROS 2 would set, so ament_index (ros2 launch, ros2 pkg) finds the venv's packages.
# 2. The ROS 2 launch stack, which has no wheels: when $EVA_ROS_UPSTREAM (default ../shared/upstream,
#    beside the checkout) holds the upstream Jazzy tarballs, launch, launch_xml, launch_yaml,
#    launch_ros, ros2launch, ros2cli and ros2pkg are installed with `pip install --no-deps`,
#    osrf-pycommon from the registry (requirements-ros-launch.txt), and composition_interfaces is built
#    like eva_interfaces (scripts/build_interfaces.sh). Without that folder this part is skipped: the
#    rest of the stack does not need it, and the tests that run `ros2 launch` skip.
#    Skipped as well when the tarballs, the pin and this script are unchanged (a hash stamp); FORCE=1
#    reinstalls anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
UPSTREAM=${EVA_ROS_UPSTREAM:-../shared/upstream}
VENV_PYTHON="$(cd "$VENV" && pwd)/bin/python"
# Extracted sources; under ros2_ws/build, which colcon ignores (COLCON_IGNORE) and git too.
SOURCES=ros2_ws/build/upstream
start=$SECONDS

if [ -n "${ROS_DISTRO:-}" ]; then
  echo "setup: ROS 2 $ROS_DISTRO has ros2 launch; colcon build in ros2_ws installs the eva package for it"
  exit 0
fi

# ------------------------------------------------------------------------------ 1. the eva package
"$VENV_PYTHON" - <<'EOF'
import importlib.metadata
import os
import shutil
import sys
import sysconfig
from pathlib import Path

repo = Path.cwd()
package = repo / "ros2_ws" / "src" / "eva"
prefix = Path(sys.prefix)

# AMENT_PREFIX_PATH: the venv is the ROS 2 install here (a sourced setup.bash would export it).
pth = Path(sysconfig.get_paths()["purelib"]) / "eva_ament_prefix_path.pth"
pth.write_text(
    "import os, sys; _p = [p for p in os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep) if p]; "
    "sys.prefix in _p or os.environ.__setitem__('AMENT_PREFIX_PATH', os.pathsep.join([sys.prefix, *_p]))\n"
)

index = prefix / "share" / "ament_index" / "resource_index" / "packages"
index.mkdir(parents=True, exist_ok=True)
shutil.copyfile(package / "resource" / "eva", index / "eva")

share = prefix / "share" / "eva"
launch_dir = share / "launch"
if launch_dir.exists():
    shutil.rmtree(launch_dir)  # a launch file removed from the checkout does not linger
launch_dir.mkdir(parents=True)
for launch_file in sorted((repo / "launch").glob("*.launch.py")):
    (launch_dir / launch_file.name).symlink_to(launch_file)
(share / "package.xml").unlink(missing_ok=True)
(share / "package.xml").symlink_to(package / "package.xml")

# lib/eva/<node>: what setuptools writes there under colcon (setup.cfg's install_scripts).
lib = prefix / "lib" / "eva"
if lib.exists():
    shutil.rmtree(lib)
lib.mkdir(parents=True)
scripts = [e for e in importlib.metadata.distribution("eva").entry_points if e.group == "console_scripts"]
if not scripts:
    sys.exit("setup: the eva package declares no console scripts (is it installed? pip install -e ros2_ws/src/eva)")
for entry in scripts:
    script = lib / entry.name
    script.write_text(
        f"#!{sys.executable}\n"
        f"# The node executable `ros2 run eva {entry.name}` / launch_ros start (scripts/install_launch.sh).\n"
        f"import sys\n\nfrom {entry.module} import {entry.attr}\n\n"
        f"if __name__ == '__main__':\n    sys.exit({entry.attr}())\n"
    )
    script.chmod(0o755)
print(f"setup: eva registered in the ament index of {prefix} ({len(scripts)} node executables in lib/eva)")
EOF

# ------------------------------------------------------------------------- 2. the launch stack
if [ ! -d "$UPSTREAM" ]; then
  echo "setup: no $UPSTREAM: ros2 launch not installed (not needed to run the stack: eva bringup; the ros2 launch tests skip)"
  exit 0
fi
PACKAGES="launch/launch launch/launch_xml launch/launch_yaml launch_ros/launch_ros launch_ros/ros2launch ros2cli/ros2cli ros2cli/ros2pkg"
TARBALLS="ros2-launch-jazzy.tar.gz ros2-launch_ros-jazzy.tar.gz ros2-ros2cli-jazzy.tar.gz ros2-rcl_interfaces-jazzy.tar.gz"
for tarball in $TARBALLS; do
  [ -f "$UPSTREAM/$tarball" ] || { echo "setup: $UPSTREAM has no $tarball" >&2; exit 1; }
done
hash=$({ (cd "$UPSTREAM" && sha256sum $TARBALLS); sha256sum requirements-ros-launch.txt scripts/install_launch.sh
         echo "python=$VENV_PYTHON"; } | sha256sum | cut -d' ' -f1)
stamp="$VENV/.ros2_launch.sha256"
if [ "${FORCE:-0}" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -x "$VENV/bin/ros2" ] \
    && [ -f "$SOURCES/rcl_interfaces/composition_interfaces/package.xml" ]; then
  echo "setup: ros2 launch unchanged, not reinstalled"
else
  echo "setup: installing ros2 launch (launch, launch_ros, ros2cli) from $UPSTREAM into $VENV"
  rm -f "$stamp"
  rm -rf "$SOURCES"
  mkdir -p "$SOURCES"
  touch ros2_ws/build/COLCON_IGNORE
  for tarball in $TARBALLS; do
    tar -xzf "$UPSTREAM/$tarball" -C "$SOURCES"
  done
  # launch_ros names ament_index_python as a pip requirement; the ROS wheels ship it as the
  # distribution ros-ament-index-python, so `pip check` would call it missing. Only this extracted copy
  # changes; the module is there either way.
  grep -q "'ament_index_python'," "$SOURCES/launch_ros/launch_ros/setup.py" || {
    echo "setup: launch_ros/setup.py no longer lists 'ament_index_python', (new upstream sources?): update $0" >&2
    exit 1
  }
  sed -i "/'ament_index_python',/d" "$SOURCES/launch_ros/launch_ros/setup.py"
  "$VENV_PYTHON" -m pip --disable-pip-version-check -q install -r requirements-ros-launch.txt
  # --no-build-isolation: setuptools is already in the venv (the ROS wheels and torch require it), and
  # an isolated build would fetch it again for each of the seven packages.
  for package in $PACKAGES; do
    "$VENV_PYTHON" -m pip --disable-pip-version-check -q install --no-deps --no-build-isolation "$SOURCES/$package"
  done
  echo "$hash" > "$stamp"
fi
# launch_ros imports composition_interfaces (composable nodes); it is a message package like ours.
VENV="$VENV" bash scripts/build_interfaces.sh "$SOURCES/rcl_interfaces/composition_interfaces"
"$VENV/bin/ros2" pkg prefix eva > /dev/null
"$VENV_PYTHON" -c "import launch_ros.actions, ros2launch.api"
echo "setup: ros2 launch ready ($VENV/bin/ros2 launch eva bringup.launch.py) in $((SECONDS - start)) s"
