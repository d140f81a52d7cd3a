"""History layout: which frames, padded how, in which latent slots (numpy only)."""

import numpy as np
import pytest

from eva_core.planning.wan.history import ClipLayout, history_clip, history_length, plan_size


@pytest.mark.parametrize("available, wanted, expected", [(1, 4, 1), (2, 4, 5), (4, 4, 5), (9, 4, 5), (6, 6, 9), (9, 9, 9), (3, 1, 1)])
def test_history_length_is_the_next_one_plus_4m(available, wanted, expected):
    assert history_length(available, wanted) == expected


def test_history_clip_keeps_the_last_frames_and_repeats_the_oldest():
    frames = [np.full((2, 2, 3), i, np.uint8) for i in range(6)]
    clip = history_clip(frames, 4)  # frames 2..5, padded to 5 with frame 2 in front
    assert clip.shape == (5, 2, 2, 3) and clip[:, 0, 0, 0].tolist() == [2, 2, 3, 4, 5]
    assert history_clip(frames[:1], 4)[:, 0, 0, 0].tolist() == [0]


def test_clip_layout_of_the_papers_setting():
    layout = ClipLayout(history=5, num_frames=49)  # 4 observed frames -> 5, plus 48 new ones
    assert (layout.total, layout.latent_frames, layout.history_latents, layout.plan_start) == (53, 14, 2, 4)
    first_frame = ClipLayout(history=1, num_frames=49)
    assert (first_frame.total, first_frame.latent_frames, first_frame.history_latents) == (49, 13, 1)
    with pytest.raises(ValueError):
        ClipLayout(history=4, num_frames=49)


def test_plan_size_rounds_the_frames_down_to_multiples_of_16():
    assert plan_size(None, None, (120, 160)) == (112, 160)
    assert plan_size(480, 832, (120, 160)) == (480, 832)
    with pytest.raises(ValueError, match="too small"):
        plan_size(None, None, (12, 40))


def test_a_short_history_is_padded_to_the_wanted_layout_when_asked():
    frames = [np.full((2, 2, 3), i, np.uint8) for i in range(2)]
    assert len(history_clip(frames, 4)) == 1 + 4  # 2 observed -> 5 frames either way
    one = [frames[1]]
    assert len(history_clip(one, 4)) == 1  # the first plan: one frame, one latent
    padded = history_clip(one, 4, pad=True)
    assert padded.shape == (5, 2, 2, 3) and (padded == 1).all()  # the layout of 4 observed frames
