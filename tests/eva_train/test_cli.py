from eva_train.cli import main


def test_eva_train_without_a_job_explains_itself(capsys):
    assert main([]) == 2
    assert "Offline training for the EVA stack" in capsys.readouterr().err


def test_a_missing_dataset_is_one_readable_error(tmp_path, capsys):
    cfg = tmp_path / "vae.yaml"
    cfg.write_text(f"data: [{tmp_path / 'nope'}]\nout_dir: {tmp_path / 'run'}\n")
    assert main(["vae", "--config", str(cfg), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "dataset error" in err and "nope" in err and "Traceback" not in err


def test_a_bad_key_is_named(tmp_path, capsys):
    cfg = tmp_path / "sft.yaml"
    cfg.write_text("data: [d]\nout_dir: o\nmode: full\nscratch: {vae_dir: v}\nnum_frames: 10\n")
    assert main(["sft", "--config", str(cfg)]) == 2
    assert "num_frames" in capsys.readouterr().err
