"""IDM core: config validation, model shapes, spatial softmax, checkpoint round trip, decoder, metrics."""

import json

import numpy as np
import pytest
import torch

from eva_core.config import ConfigError
from eva_core.idm import ActionNormalizer, IdmConfig, idm_metrics
from eva_core.idm.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from eva_core.idm.inference import IdmDecoder, window_indices
from eva_core.idm.model import IdmModel, SpatialSoftmax, stack_frames

TINY = dict(input_hw=(16, 24), widths=(8, 8), strides=(2, 1), groups=4, mlp_dims=(16,), first_kernel=3)


def tiny(**kw) -> IdmConfig:
    return IdmConfig(**{**TINY, **kw})


@pytest.mark.parametrize(
    "field, value",
    [("k", -1), ("strides", (1,)), ("groups", 3), ("pooling", "max"), ("dropout", 1.0), ("first_kernel", 4)],
)
def test_config_rejects_bad_values_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        tiny(**{field: value})


def test_config_dict_round_trip():
    cfg = tiny(pooling="avg")
    assert IdmConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ConfigError, match="bogus"):
        IdmConfig.from_dict({**cfg.to_dict(), "bogus": 1})


@pytest.mark.parametrize("pooling", ["spatial_softmax", "avg"])
def test_model_output_shape(pooling):
    torch.manual_seed(0)
    cfg = tiny(pooling=pooling, k=2)
    windows = torch.randint(0, 255, (3, 5, 16, 24, 3), dtype=torch.uint8)
    x = stack_frames(windows)
    assert x.shape == (3, 15, 16, 24) and x.min() >= -0.5 and x.max() <= 0.5
    assert IdmModel(cfg)(x).shape == (3, 14)


def test_spatial_softmax_finds_the_peak():
    f = torch.full((1, 2, 5, 7), -50.0)
    f[0, 0, 0, 6] = 50.0  # top right
    f[0, 1, 4, 0] = 50.0  # bottom left
    out = SpatialSoftmax()(f)
    assert torch.allclose(out, torch.tensor([[1.0, -1.0, -1.0, 1.0]]), atol=1e-4)


def test_window_indices_clamp_at_edges():
    assert window_indices(3, 1).tolist() == [[0, 0, 1], [0, 1, 2], [1, 2, 2]]


def test_normalizer_round_trip_and_floor():
    a = np.random.default_rng(0).normal(size=(50, 14)).astype(np.float32)
    a[:, 3] = 1.0  # a joint that never moves
    n = ActionNormalizer.from_actions(a)
    assert n.std[3] > 0
    np.testing.assert_allclose(n.denormalize(n.normalize(a)), a, atol=1e-5)
    t = torch.from_numpy(a)
    torch.testing.assert_close(n.denormalize(n.normalize(t)), t, atol=1e-5, rtol=0)


def test_checkpoint_round_trips_exactly_and_decoder_matches_model(tmp_path):
    torch.manual_seed(0)
    cfg = tiny()
    model = IdmModel(cfg).eval()
    norm = ActionNormalizer(np.arange(14, dtype=np.float32) / 10, np.full(14, 0.5, np.float32))
    save_checkpoint(tmp_path / "ck", model, norm, {"note": "test"})
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["config.json", "model.safetensors"]
    ck = load_checkpoint(tmp_path / "ck")
    assert ck.config == cfg and ck.metadata == {"note": "test"}
    for key, value in model.state_dict().items():
        assert torch.equal(value, ck.model.state_dict()[key]), key
    np.testing.assert_array_equal(ck.normalizer.mean, norm.mean)

    clip = np.random.default_rng(1).integers(0, 255, (6, 16, 24, 3), dtype=np.uint8)
    out = IdmDecoder.load(tmp_path / "ck").decode(clip)
    assert out.shape == (6, 14) and out.dtype == np.float32
    idx = torch.as_tensor(window_indices(6, 1))
    with torch.no_grad():
        ref = norm.denormalize(model(stack_frames(torch.from_numpy(clip)[idx]))).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-5)
    # Another resolution is resized to the model's.
    assert IdmDecoder.load(tmp_path / "ck").decode(np.zeros((4, 32, 48, 3), np.uint8)).shape == (4, 14)


def test_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match="config.json"):
        load_checkpoint(tmp_path)
    save_checkpoint(tmp_path / "ck", IdmModel(tiny()), ActionNormalizer(np.zeros(14, np.float32), np.ones(14, np.float32)))
    doc = json.loads((tmp_path / "ck" / "config.json").read_text())
    doc["idm"]["widths"] = [8, 16]
    (tmp_path / "ck" / "config.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(tmp_path / "ck")


def test_decoder_rejects_bad_clips(tmp_path):
    save_checkpoint(tmp_path, IdmModel(tiny()), ActionNormalizer(np.zeros(14, np.float32), np.ones(14, np.float32)))
    with pytest.raises(ValueError, match="uint8"):
        IdmDecoder.load(tmp_path).decode(np.zeros((4, 16, 24, 3), np.float32))


def test_metrics():
    true = np.zeros((4, 14))
    pred = np.zeros((4, 14))
    pred[1, 0] = 0.06  # one arm joint off on step 1
    pred[2, 6] = 0.05  # gripper 6 off by 0.05 of a 0.1 range = 50 %: wrong
    pred[3, 13] = 0.005  # gripper 13 off by 5 %: right
    grip_range = np.full(14, 0.1)
    m = idm_metrics(pred, true, (6, 13), grip_range)
    assert m.joint_accuracy == 0.75 and m.gripper_accuracy == 0.75 and m.all_accuracy == 0.5
    assert m.per_dim_accuracy[0] == 0.75 and m.per_dim_accuracy[6] == 0.75 and m.per_dim_accuracy[13] == 1.0
    assert m.per_dim_mae[0] == pytest.approx(0.015)
    j = m.to_json([f"j{i}" for i in range(14)])
    assert j["per_dim_accuracy"]["j0"] == 0.75 and j["steps"] == 4
    with pytest.raises(ValueError):
        idm_metrics(pred[:2], true)
