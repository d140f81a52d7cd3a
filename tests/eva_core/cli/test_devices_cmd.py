import json

from eva_core.cli.devices_cmd import can_interfaces
from eva_core.cli.main import main


def test_can_interfaces_are_found_by_link_type(tmp_path):
    # A /sys/class/net look-alike: this machine has no SocketCAN, so the kernel's view is built here.
    for name, link_type, state in (("can_left", 280, "up"), ("can_right", 280, "down"), ("eth0", 1, "up")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "type").write_text(f"{link_type}\n")
        (tmp_path / name / "operstate").write_text(f"{state}\n")
    assert can_interfaces(tmp_path) == [{"name": "can_left", "state": "up"}, {"name": "can_right", "state": "down"}]
    assert can_interfaces(tmp_path / "absent") == []


def test_devices_list_reports_what_is_attached(capsys):
    assert main(["devices", "list", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert isinstance(result["can"], list)
    assert result["realsense"] == []  # no camera on the build machines; pyrealsense2 itself imports


def test_devices_types_include_the_simulated_plugins(capsys):
    assert main(["devices", "types", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"piper", "sim"} <= set(result["arms"])
    assert {"realsense", "replay", "sim"} <= set(result["cameras"])
