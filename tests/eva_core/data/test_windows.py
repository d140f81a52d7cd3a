"""IDM windows and video clips cut from a written dataset."""

from __future__ import annotations

import numpy as np
import pytest

from eva_core.data import Dataset

CAMS = {"cam_high": (24, 32)}


@pytest.fixture
def dataset(new_writer, kit):
    writer = new_writer(cameras=CAMS)
    eps = [kit.make_episode(30, 7, "a", cameras=CAMS), kit.make_episode(31, 3, "b", cameras=CAMS),
           kit.make_episode(32, 11, "a", cameras=CAMS)]
    for ep in eps:
        kit.write_episode(writer, ep)
    return Dataset(writer.root), eps


@pytest.mark.parametrize("k", [0, 1, 2, 5])
def test_idm_windows_stack_neighbours_with_clamped_edges(dataset, k):
    ds, eps = dataset
    samples = list(ds.idm_windows("cam_high", k=k))
    assert len(samples) == ds.num_frames
    i = 0
    for e, ep in enumerate(eps):
        n, video = ep.length, ep.images["cam_high"]
        for t in range(n):
            s = samples[i]
            i += 1
            assert (s.episode_index, s.frame_index) == (e, t)
            assert s.frames.shape == (2 * k + 1, 24, 32, 3)
            expected = video[np.clip(np.arange(t - k, t + k + 1), 0, n - 1)]
            np.testing.assert_array_equal(s.frames, expected)
            np.testing.assert_array_equal(s.action, ep.actions[t])
            np.testing.assert_array_equal(s.state, ep.states[t])


def test_idm_windows_for_chosen_episodes(dataset):
    ds, _ = dataset
    samples = list(ds.idm_windows("cam_high", episodes=[2, 0]))
    assert [s.episode_index for s in samples] == [2] * 11 + [0] * 7
    with pytest.raises(ValueError):
        next(ds.idm_windows("cam_high", k=-1))


@pytest.mark.parametrize(
    "length, stride, step, starts",
    [
        (4, None, 1, {0: [0], 2: [0, 4]}),  # no overlap; the 3-frame episode is too short
        (4, 2, 1, {0: [0, 2], 2: [0, 2, 4, 6]}),
        (3, 3, 2, {0: [0], 2: [0, 3, 6]}),  # every other frame: span 5
        (1, 1, 1, {0: list(range(7)), 1: [0, 1, 2], 2: list(range(11))}),
        (12, 1, 1, {}),
    ],
)
def test_clips(dataset, length, stride, step, starts):
    ds, eps = dataset
    clips = list(ds.clips("cam_high", length=length, stride=stride, step=step))
    expected = [(e, s) for e, ss in starts.items() for s in ss]
    assert [(c.episode_index, int(c.frame_indices[0])) for c in clips] == expected
    for c in clips:
        ep = eps[c.episode_index]
        idx = c.frame_indices[0] + step * np.arange(length)
        np.testing.assert_array_equal(c.frame_indices, idx)
        np.testing.assert_array_equal(c.frames, ep.images["cam_high"][idx])
        np.testing.assert_array_equal(c.actions, ep.actions[idx])
        np.testing.assert_array_equal(c.states, ep.states[idx])
        np.testing.assert_allclose(c.timestamps, idx / 16)
        assert c.task == ep.task


def test_clip_arguments_are_checked(dataset):
    ds, _ = dataset
    for kwargs in ({"length": 0}, {"length": 2, "step": 0}, {"length": 2, "stride": 0}):
        with pytest.raises(ValueError):
            next(ds.clips("cam_high", **kwargs))
