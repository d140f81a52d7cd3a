"""`eva reward`: text and JSON output, invalid plans, and one-line errors with exit code 2."""

import json

import numpy as np
import pytest

from eva_core.cli.main import main
from eva_core.config import repo_root
from eva_core.embodiment import load_embodiment
from eva_core.reward import RewardParams, executability_reward

PARAMS = RewardParams.from_embodiment(load_embodiment())


def strict_json(text: str):
    """json.loads, but NaN/Infinity (invalid JSON that Python would accept) fail the test."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def reward_errors(stderr: str) -> list[str]:
    # Other commands may print "eva: command ... unavailable" while they are being written.
    return [line for line in stderr.splitlines() if line.startswith("eva reward")]


@pytest.fixture
def plans():
    rng = np.random.default_rng(0)
    return np.cumsum(rng.normal(0, 0.02, (3, 20, 14)), axis=1)


def test_json_single_plan(tmp_path, capsys, plans):
    path = tmp_path / "plan.npy"
    np.save(path, plans[0])
    assert main(["reward", str(path), "--json"]) == 0
    out = strict_json(capsys.readouterr().out)
    expected = executability_reward(plans[0], PARAMS)
    assert set(out) == {"reward", "score", "penalty", "terms", "valid", "steps"}
    assert out["reward"] == pytest.approx(float(expected.reward), rel=1e-12)
    assert out["score"] == pytest.approx(10 * out["reward"], rel=1e-12)
    assert out["penalty"] == pytest.approx(float(expected.penalty), rel=1e-12)
    assert out["terms"] == pytest.approx({"jerk": expected.p_jerk, "acc": expected.p_acc, "vlim": expected.p_vlim, "alim": expected.p_alim}, rel=1e-12)
    assert out["valid"] is True and out["steps"] == 20


def test_json_batch_with_an_invalid_plan(tmp_path, capsys, plans):
    plans[1, 4, 9] = np.nan
    path = tmp_path / "plans.npy"
    np.save(path, plans)
    assert main(["reward", str(path), "--json"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert [p["valid"] for p in out["plans"]] == [True, False, True]
    bad = out["plans"][1]
    assert bad["reward"] == 0 and bad["score"] == 0 and bad["penalty"] is None
    assert bad["terms"] == {"jerk": None, "acc": None, "vlim": None, "alim": None}
    expected = executability_reward(plans, PARAMS)
    assert out["plans"][2]["reward"] == pytest.approx(float(expected.reward[2]), rel=1e-12)


def test_text_single_plan(tmp_path, capsys):
    path = tmp_path / "still.npy"
    np.save(path, np.zeros((8, 14), dtype=np.float32))
    assert main(["reward", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("reward   1.000000   score 10.00 / 10")
    assert lines[1].startswith("penalty  0 ")
    assert [line.split()[0] for line in lines[3:]] == ["jerk", "acc", "vlim", "alim"]


def test_text_batch_table(tmp_path, capsys, plans):
    plans[2, 0, 0] = np.inf
    path = tmp_path / "plans.npy"
    np.save(path, plans)
    assert main(["reward", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].split()[:3] == ["plan", "reward", "score"]
    assert lines[1].split()[-1] == "yes" and lines[3].split()[-1] == "no"
    assert lines[3].split()[1:4] == ["0.000000", "0.00", "inf"]


def test_embodiment_option_changes_the_constants(tmp_path, capsys, plans):
    text = (repo_root() / "config/embodiment/piper_bimanual.yaml").read_text()
    assert "p0: 2000.0" in text
    yaml_path = tmp_path / "p0_500.yaml"
    yaml_path.write_text(text.replace("p0: 2000.0", "p0: 500.0"))
    path = tmp_path / "plan.npy"
    np.save(path, plans[0])
    assert main(["reward", str(path), "--json", "--embodiment", str(yaml_path)]) == 0
    out = strict_json(capsys.readouterr().out)
    assert out["reward"] == pytest.approx((1 + out["penalty"] / 500.0) ** -0.5, rel=1e-12)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "No such file"),
        (lambda p: p.write_text("not numpy"), "not a .npy file"),
        (lambda p: np.savez(p.with_suffix("")) or p.with_suffix(".npz").rename(p), "not a .npy file"),
        (lambda p: np.save(p, np.zeros((5, 7))), "[T, 14] or [B, T, 14]"),
        (lambda p: np.save(p, np.array(["a", "b"])), "numeric"),
        (lambda p: np.save(p, np.array([None]), allow_pickle=True), "Object arrays"),
    ],
    ids=["missing", "text", "npz", "shape", "strings", "pickle"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, make, message):
    path = tmp_path / "actions.npy"
    make(path)
    assert main(["reward", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    (line,) = reward_errors(captured.err)
    assert message in line


def test_bad_embodiment_is_a_configuration_error(tmp_path, capsys, plans):
    path = tmp_path / "plan.npy"
    np.save(path, plans[0])
    assert main(["reward", str(path), "--embodiment", str(tmp_path / "missing.yaml")]) == 2
    (line,) = reward_errors(capsys.readouterr().err)
    assert "configuration error" in line


def test_help_documents_the_json_layout(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["reward", "--help"])
    assert exit_info.value.code == 0
    assert '{"plans": [' in capsys.readouterr().out
