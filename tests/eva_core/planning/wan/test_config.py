"""WanPlannerConfig validation and registry resolution (no torch needed)."""

import subprocess
import sys

import pytest

from eva_core.config import ConfigError, build
from eva_core.config.loading import load_yaml, repo_root
from eva_core.planning import planner_config, planner_types
from eva_core.planning.wan import LoraSpec, WanPlannerConfig


def test_defaults_are_the_papers_settings():
    cfg = WanPlannerConfig()
    assert (cfg.num_frames, cfg.history_frames, cfg.history_mode, cfg.candidates) == (49, 4, "diffusion_forcing", 1)
    assert cfg.guidance_scale == 1.0 and not cfg.use_cfg


@pytest.mark.parametrize(
    "field, value",
    [
        ("num_frames", 48), ("height", 100), ("width", 8), ("history_frames", 0), ("steps", 0),
        ("guidance_scale", 0.5), ("candidates", 0), ("device", "tpu"), ("flow_shift", -1.0), ("fps", 0.0),
        ("history_guidance", -1.0), ("text_cache_size", 0),
    ],
)
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        WanPlannerConfig(**{field: value})


def test_cross_field_rules():
    with pytest.raises(ConfigError, match="idm_checkpoint"):
        WanPlannerConfig(candidates=3)
    with pytest.raises(ConfigError, match="cpu_offload"):
        WanPlannerConfig(device="cpu", cpu_offload=True)
    with pytest.raises(ConfigError, match="history_guidance"):
        WanPlannerConfig(history_mode="first_frame", history_guidance=1.0)
    with pytest.raises(ConfigError, match="unique"):
        WanPlannerConfig(loras=(LoraSpec("a.safetensors", name="x"), LoraSpec("b.safetensors", name="x")))


def test_yaml_values_build_nested_loras_and_name_bad_keys():
    cfg = planner_config("wan", {"loras": [{"path": "a.safetensors", "weight": 0.5}, {"path": "b"}], "seed": None})
    assert isinstance(cfg, WanPlannerConfig) and cfg.adapter_names == ("lora0", "lora1") and cfg.seed is None
    assert cfg.loras[0] == LoraSpec("a.safetensors", 0.5)
    with pytest.raises(ConfigError, match=r"planner\.loras\[0\]\.path"):
        planner_config("wan", {"loras": [{"path": ""}]})
    with pytest.raises(ConfigError, match=r"planner\.history_mode"):
        planner_config("wan", {"history_mode": "everything"})


def test_wan_is_found_through_the_entry_point_without_torch():
    # A fresh interpreter: the registry finds "wan" through eva.planners, and resolving its config
    # imports neither torch nor diffusers.
    script = (
        "import sys; from eva_core.planning import planner_types, planner_config;"
        "assert 'wan' in planner_types(); planner_config('wan', {});"
        "bad = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules]; sys.exit(f'imported {bad}' if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "wan" in planner_types()


def test_shipped_config_file_is_valid():
    values = load_yaml(repo_root() / "config" / "planner" / "wan.yaml")
    cfg = build(WanPlannerConfig, values)
    assert cfg.model_dir and cfg.history_mode == "diffusion_forcing"
