"""The clip dataset yields the exact frames of a known episode, in the planner's clip layout."""

import numpy as np
import pytest

from eva_core.planning.wan.history import ClipLayout, history_clip
from eva_train.wm.clips import ClipSource, Window


@pytest.fixture(scope="module")
def source(clip_dataset):
    root, _ = clip_dataset
    return ClipSource.load([(root, [0, 1])], "cam_high", (32, 32), plan_rate_hz=16, progress=False)


def test_window_is_history_then_future_of_the_same_episode(source, clip_dataset):
    _, episodes = clip_dataset
    clip = source.frames(Window(episode=0, current=8, observed=5), num_frames=9)
    layout = ClipLayout(history=5, num_frames=9)
    assert clip.shape == (layout.total, 32, 32, 3)
    np.testing.assert_array_equal(clip, episodes[0][4:17])  # frames 4..8 history, 9..16 future
    np.testing.assert_array_equal(clip[layout.plan_start], episodes[0][8])  # the current view


def test_four_observed_frames_are_padded_as_the_planner_pads_them(source, clip_dataset):
    """The planner conditions on the last 4 frames, padded to 5 (oldest repeated): so does training."""
    _, episodes = clip_dataset
    clip = source.frames(Window(0, 8, observed=4), 9)
    np.testing.assert_array_equal(clip[:5], history_clip(list(episodes[0][5:9]), 4))
    np.testing.assert_array_equal(clip[:5], episodes[0][[5, 5, 6, 7, 8]])
    np.testing.assert_array_equal(clip[5:], episodes[0][9:17])


def test_edges_repeat_the_first_and_last_frame_never_another_episode(source, clip_dataset):
    _, episodes = clip_dataset
    start = source.frames(Window(1, 1, observed=5), 9)
    np.testing.assert_array_equal(start[:4], np.stack([episodes[1][0]] * 3 + [episodes[1][0]]))
    np.testing.assert_array_equal(start[4:], episodes[1][1:10])
    end = source.frames(Window(0, 18, observed=5), 9)
    np.testing.assert_array_equal(end[:6], episodes[0][14:20])
    np.testing.assert_array_equal(end[6:], np.stack([episodes[0][19]] * 7))


def test_start_padding_matches_the_planner_padding_of_a_short_history(source, clip_dataset):
    """A window at an episode's first frame is the clip the planner builds from one observed frame
    padded to 5 (oldest repeated): training and planning see the same history."""
    _, episodes = clip_dataset
    clip = source.frames(Window(0, 0, observed=5), 9)
    np.testing.assert_array_equal(clip[:5], history_clip([episodes[0][0]] * 5, 5))


def test_windows_cover_every_stride_th_frame_and_instructions_follow_episodes(source):
    windows = source.windows(observed=4, stride=4)
    assert [(w.episode, w.current) for w in windows] == [(0, c) for c in (0, 4, 8, 12, 16)] + [(1, c) for c in (0, 4, 8, 12)]
    assert source.instructions == ["press the red button", "lift the box by its handles with both arms"]
