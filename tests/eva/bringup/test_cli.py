"""`eva bringup`'s command line: a bad argument stops it before any node starts."""

from __future__ import annotations

import pytest

from eva_core.cli.main import main


@pytest.mark.parametrize("argv, message", [
    (["--task", "nope"], "task: unknown simulated task 'nope'"),
    (["--set", "idm_checkpoint=/nonexistent/idm"], "idm_checkpoint: /nonexistent/idm does not exist"),
])
def test_a_bad_argument_stops_eva_bringup_before_any_node_starts(monkeypatch, capsys, argv, message):
    pytest.importorskip("rclpy")

    def no_graph(*args, **kwargs):
        raise AssertionError("the graph was started")

    monkeypatch.setattr("eva.bringup.job.MainJob", no_graph)
    assert main(["bringup", "--sim", *argv]) == 2
    assert message in capsys.readouterr().err
