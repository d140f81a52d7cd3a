from eva_train.cli import main


def test_eva_train_without_a_job_explains_itself(capsys):
    assert main([]) == 2
    assert "Offline training for the EVA stack" in capsys.readouterr().err
