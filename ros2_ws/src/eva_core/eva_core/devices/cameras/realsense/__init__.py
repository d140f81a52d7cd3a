"""Intel RealSense cameras through pyrealsense2: live devices by serial, or recordings of them."""
