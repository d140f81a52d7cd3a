"""`generate_demos` writes a dataset that reads back with the right counts and flags."""

import numpy as np

from eva_core.data import Dataset
from eva_core.embodiment import load_embodiment
from eva_sim.config import CAMERA_NAMES
from eva_sim.demos import generate_demos


def test_demos_write_a_readable_dataset(tmp_path):
    emb = load_embodiment()
    summary = generate_demos("press_button", 2, tmp_path / "ds", seed=3, resolution=(48, 32), progress=False)
    assert summary.to_json() == {"task": "press_button", "episodes": 2, "successes": 2, "out": str(tmp_path / "ds")}
    ds = Dataset(tmp_path / "ds")
    assert ds.num_episodes == 2 and ds.fps == 16 and set(ds.cameras) == set(CAMERA_NAMES)
    for episode in ds.episodes():
        assert episode.success is True and episode.task == "press the red button"
        assert episode.extra["seed"] in (3, 4)
        states, actions = episode.states, episode.actions
        assert states.shape == actions.shape == (episode.length, 14)
        # ~16 frames per simulated second (the press expert runs ~6 s).
        assert 60 <= episode.length <= 120
        assert np.all(actions >= emb.limits.position_min - 1e-6) and np.all(actions <= emb.limits.position_max + 1e-6)
        video = episode.video("cam_high")
        assert video.shape == (episode.length, 32, 48, 3)
