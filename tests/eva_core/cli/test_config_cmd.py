import json

import yaml

from eva_core.cli.main import main
from eva_core.config import repo_root


def test_config_show_json_carries_the_limits(capsys):
    assert main(["config", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("joint_names", "position_min", "position_max", "velocity_max", "acceleration_max"):
        assert len(data[key]) == 14, key
    assert data["joint_names"][6] == "left_gripper"
    assert data["plan_rate_hz"] == 16.0 and data["control_rate_hz"] == 200.0
    assert data["velocity_max"][0] == 2.67036


def test_config_show_prints_a_table(capsys):
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "right_joint6" in out and "plan 16 fps" in out


def test_bad_config_is_one_line_on_stderr(tmp_path, capsys):
    data = yaml.safe_load((repo_root() / "config/embodiment/piper_bimanual.yaml").read_text())
    del data["control_rate_hz"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["config", "show", "--embodiment", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "control_rate_hz: missing required key" in err
