"""`eva safety`: accepted plans are written, rejected ones are not, bad input is one line with exit 2."""

import json

import numpy as np
import pytest
import yaml

from eva_core.cli.main import main
from eva_core.config import repo_root
from eva_core.embodiment import load_embodiment
from eva_core.safety import filter_plan

CONFIG = load_embodiment()


def strict_json(text: str):
    """json.loads, but NaN/Infinity (invalid JSON that Python would accept) fail the test."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def safety_errors(stderr: str) -> list[str]:
    # Other commands may print "eva: command ... unavailable" while they are being written.
    return [line for line in stderr.splitlines() if line.startswith("eva safety")]


@pytest.fixture
def files(tmp_path):
    q0 = CONFIG.ready_pose()
    s = (1 - np.cos(np.pi * np.arange(1, 50) / 49)) / 2
    plan = q0 + s[:, None] * 0.2
    paths = {"plan": tmp_path / "plan.npy", "state": tmp_path / "state.npy", "out": tmp_path / "safe.npy"}
    np.save(paths["plan"], plan)
    np.save(paths["state"], q0)
    return paths, plan, q0


def test_an_accepted_plan_is_written_and_reported(files, capsys):
    paths, plan, q0 = files
    code = main(["safety", str(paths["plan"]), "--state", str(paths["state"]), "--out", str(paths["out"]), "--json"])
    assert code == 0
    out = strict_json(capsys.readouterr().out)
    expected_plan, expected = filter_plan(q0, plan, CONFIG)
    assert out == {**expected.to_dict(), "out": str(paths["out"])}
    assert out["verdict"] == "accept" and out["reasons"] == [] and out["steps_changed"] == 0
    np.testing.assert_array_equal(np.load(paths["out"]), expected_plan)


def test_a_rejected_plan_is_not_written(files, capsys):
    paths, plan, _ = files
    plan = plan.copy()
    plan[10, 3] = np.nan
    np.save(paths["plan"], plan)
    code = main(["safety", str(paths["plan"]), "--state", str(paths["state"]), "--out", str(paths["out"]), "--json"])
    assert code == 1
    out = strict_json(capsys.readouterr().out)
    assert out["verdict"] == "reject" and out["reasons"] == ["plan_not_finite"] and out["out"] is None
    assert out["max_deviation"] is None
    assert not paths["out"].exists()


def test_the_measured_velocity_is_used(files, capsys, tmp_path):
    paths, plan, q0 = files
    velocity = tmp_path / "v.npy"
    v0 = np.zeros(14)
    v0[0] = 2.0  # moving: the plan, which starts at rest, has to be corrected
    np.save(velocity, v0)
    code = main(["safety", str(paths["plan"]), "--state", str(paths["state"]), "--velocity", str(velocity), "--json"])
    out = strict_json(capsys.readouterr().out)
    _, expected = filter_plan(q0, plan, CONFIG, velocity=v0)
    assert out == {**expected.to_dict(), "out": None}
    assert code == (0 if expected.accepted else 1)
    assert out["steps_changed"] > 0


def test_text_output_for_a_rejected_plan(files, capsys):
    paths, plan, _ = files
    np.save(paths["plan"], plan + 1.0)  # starts 1 rad away
    assert main(["safety", str(paths["plan"]), "--state", str(paths["state"]), "--out", str(paths["out"])]) == 1
    out = capsys.readouterr().out
    assert "verdict  reject" in out and "start_deviation" in out and "not written" in out
    assert "the plan starts too far from the measured state" in out
    assert not paths["out"].exists()


def test_text_output_for_an_accepted_plan(files, capsys):
    paths, _, _ = files
    assert main(["safety", str(paths["plan"]), "--state", str(paths["state"])]) == 0
    out = capsys.readouterr().out
    assert "verdict  accept" in out and "min arm distance" in out and "written" not in out


def test_a_non_finite_state_is_a_reject_with_nothing_returned(files, capsys):
    paths, _, q0 = files
    bad = q0.copy()
    bad[2] = np.inf
    np.save(paths["state"], bad)
    code = main(["safety", str(paths["plan"]), "--state", str(paths["state"]), "--out", str(paths["out"]), "--json"])
    assert code == 1
    out = strict_json(capsys.readouterr().out)
    assert out["reasons"] == ["state_not_finite"] and out["returned"] == "none"
    assert not paths["out"].exists()


@pytest.mark.parametrize(
    "which, content, message",
    [
        ("plan", np.zeros((49, 13)), "expected shape [T >= 1, 14], got [49, 13]"),
        ("plan", np.zeros((0, 14)), "expected shape [T >= 1, 14]"),
        ("plan", np.zeros(14), "expected shape [T >= 1, 14], got [14]"),
        ("state", np.zeros((1, 14)), "expected shape [14], got [1, 14]"),
        ("state", np.array(["a"] * 14), "expected a numeric array"),
        ("plan", b"not numpy at all", "not a .npy file"),
        ("state", None, "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(files, capsys, which, content, message):
    paths, _, _ = files
    path = paths[which]
    if content is None:
        path.unlink()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content)
    code = main(["safety", str(paths["plan"]), "--state", str(paths["state"]), "--out", str(paths["out"])])
    assert code == 2
    captured = capsys.readouterr()
    errors = safety_errors(captured.err)
    assert len(errors) == 1 and message in errors[0] and str(path) in errors[0], captured.err
    assert "Traceback" not in captured.err and not paths["out"].exists()


def test_a_pickled_file_is_refused_not_loaded(files, capsys):
    paths, _, _ = files
    np.save(paths["plan"], np.array([{"x": 1}], dtype=object), allow_pickle=True)
    assert main(["safety", str(paths["plan"]), "--state", str(paths["state"])]) == 2
    assert "eva safety" in capsys.readouterr().err


def test_bad_embodiment_file_is_one_line(files, tmp_path, capsys):
    paths, _, _ = files
    data = yaml.safe_load((repo_root() / "config/embodiment/piper_bimanual.yaml").read_text())
    data["safety"]["arm_clearance_m"] = -1.0
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data))
    code = main(["safety", str(paths["plan"]), "--state", str(paths["state"]), "--embodiment", str(broken)])
    assert code == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("eva safety")]
    assert len(err) == 1 and "arm_clearance_m" in err[0]


def test_state_is_required(files, capsys):
    paths, _, _ = files
    with pytest.raises(SystemExit) as exit_info:
        main(["safety", str(paths["plan"])])
    assert exit_info.value.code == 2
    assert "--state" in capsys.readouterr().err
