"""A camera that plays one camera stream of a recorded dataset episode."""
