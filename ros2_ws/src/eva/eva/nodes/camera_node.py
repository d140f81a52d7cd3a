"""Camera node: every camera of the device file on `/cameras/<name>/image_raw` (sensor_msgs/Image, rgb8).

One node for all cameras (they share the USB bus and one clock). Each timer tick publishes the newest
frame of each camera if it is fresher than `max_age_s` and new; a camera that stops delivering is
reported on /diagnostics (the executor notices the stale plan camera and holds the arms).
"""

from __future__ import annotations

from sensor_msgs.msg import Image

from eva.conversions import image_msg
from eva.node_support import EvaNode, main_for
from eva_core.devices.cameras import CameraError, connect_cameras
from eva_core.devices.devices_file import load_devices


class CameraNode(EvaNode):
    def __init__(self, **node_options) -> None:
        super().__init__("cameras", **node_options)  # node_options: context, parameter_overrides (in-process tests)
        devices = load_devices(self.declare("devices", "", "device file: cameras (type, serial, resolution)"))
        rate = self.declare("rate_hz", 30.0, "publishing rate (Hz); the RealSense colour stream runs at 30")
        self.max_age_s = self.declare("max_age_s", 0.2, "a frame older than this (s) is stale and not published")
        self.cameras = connect_cameras(devices.cameras)
        self.publishers_ = {name: self.create_publisher(Image, f"/cameras/{name}/image_raw", 5) for name in devices.cameras}
        self.last_number: dict[str, int] = {}
        self.diagnostics = self.diagnostics_publisher()
        self.create_timer(1.0 / rate, self.on_tick)
        self.get_logger().info(f"cameras {', '.join(devices.cameras)} at {rate:g} Hz")

    def on_tick(self) -> None:
        stale = []
        for name in self.publishers_:
            try:
                frame = self.cameras[name].read_latest(self.max_age_s)
            except CameraError as err:
                stale.append(f"{name}: {err}")
                continue
            if self.last_number.get(name) == frame.frame_number:
                continue
            self.last_number[name] = frame.frame_number
            self.publishers_[name].publish(image_msg(frame.image, self.now_s(), name))
        if stale:
            self.publish_status(self.diagnostics, "error", "; ".join(stale))

    def on_shutdown(self) -> None:
        self.cameras.disconnect()


main = main_for(CameraNode)

if __name__ == "__main__":
    raise SystemExit(main())
