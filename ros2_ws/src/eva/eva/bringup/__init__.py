"""`eva bringup`: the node graph as separate processes (supervisor) and the main job's episode client."""
