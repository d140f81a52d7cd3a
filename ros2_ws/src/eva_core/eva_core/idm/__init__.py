"""Inverse dynamics model (paper §4.1): frames I[t-k..t+k] -> the action a_t.

    cfg = IdmConfig(k=1, input_hw=(120, 160))
    model = IdmModel(cfg)                                  # plain torch.nn.Module
    save_checkpoint("models/idm_sim", model, normalizer)   # model.safetensors + config.json
    decoder = IdmDecoder.load("models/idm_sim", "cpu")
    actions = decoder.decode(clip)                          # uint8 [T, H, W, 3] -> float32 [T, 14]

`config`, `normalization` and `metrics` need only numpy; `model`, `checkpoint` and `inference` need
torch and are imported from their modules (the core must import without torch).
"""

from eva_core.idm.config import IdmConfig
from eva_core.idm.metrics import IdmMetrics, idm_metrics
from eva_core.idm.normalization import ActionNormalizer

__all__ = ["ActionNormalizer", "IdmConfig", "IdmMetrics", "idm_metrics"]
