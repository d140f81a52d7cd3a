"""`eva plan` end to end on a tiny random Wan model: video, JSON report, decoded actions."""

import json

import numpy as np
import pytest

from eva_core.cli.main import build_parser, main
from eva_core.cli.plan_cmd import parse_lora
from eva_core.data.video import read_video


@pytest.fixture(scope="module")
def tiny(tiny_wan, tmp_path_factory):
    from eva_core.planning.wan.tiny import build_tiny_lora

    return tiny_wan, build_tiny_lora(tiny_wan, tmp_path_factory.mktemp("plan_cmd") / "lora" / "adapter.safetensors")


def write_frames(folder, n=4):
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(folder / f"{i:03d}.png")
    return folder


def test_help_documents_the_outputs(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["plan", "--help"])
    text = capsys.readouterr().out
    assert "--instruction" in text and "plan.actions.npy" in text and "--lora" in text


def test_parse_lora():
    assert parse_lora("a/b.safetensors") == {"path": "a/b.safetensors", "weight": 1.0}
    assert parse_lora("a/b.safetensors:0.5") == {"path": "a/b.safetensors", "weight": 0.5}
    assert parse_lora("c:/x:y") == {"path": "c:/x:y", "weight": 1.0}


def test_plan_from_a_history_folder_writes_video_actions_and_reward(tiny, tiny_idm, tmp_path, capsys):
    model, lora = tiny
    history = write_frames(tmp_path / "history")
    out = tmp_path / "out" / "plan.mp4"
    code = main([
        "plan", "--model", str(model), "--lora", f"{lora}:0.5", "--history", str(history), "--instruction", "press the red button",
        "--out", str(out), "--device", "cpu", "--steps", "2", "--num-frames", "9", "--candidates", "2", "--idm", str(tiny_idm),
    ])
    assert code == 0, capsys.readouterr().err
    assert "executability score" in capsys.readouterr().out
    video = read_video(out, 16)
    assert video.shape == (9, 16, 16, 3)
    actions = np.load(out.with_suffix(".actions.npy"))
    assert actions.shape == (9, 14) and actions.dtype == np.float64
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["frames"] == 9 and report["history_frames_given"] == 4 and report["history_mode"] == "diffusion_forcing"
    assert len(report["scores"]) == 2 and report["score"] == max(report["scores"]) and "penalty" in report["reward_terms"]
    assert report["config"]["loras"] == [{"path": str(lora), "weight": 0.5, "name": ""}]


def test_plan_from_one_image_without_idm(tiny, tmp_path, capsys):
    model, _ = tiny
    history = write_frames(tmp_path / "h", n=1)
    out = tmp_path / "one.mp4"
    code = main(["plan", "--model", str(model), "--image", str(history / "000.png"), "--instruction", "x", "--out", str(out),
                 "--device", "cpu", "--steps", "1", "--num-frames", "5", "--no-idm", "--history-mode", "first_frame", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 5 and "score" not in report and not out.with_suffix(".actions.npy").exists()
    assert read_video(out, 16).shape == (5, 16, 16, 3)


def test_missing_model_is_one_readable_line(tmp_path, capsys):
    history = write_frames(tmp_path / "h", n=1)
    code = main(["plan", "--model", str(tmp_path / "no_model"), "--image", str(history / "000.png"), "--instruction", "x",
                 "--out", str(tmp_path / "p.mp4"), "--device", "cpu", "--no-idm"])
    assert code == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "does not exist" in err and "models/README.md" in err
