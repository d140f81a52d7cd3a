"""The `wan` planner backend: an aligned Wan2.1 image-to-video world model (diffusers + peft LoRA).

    planner = make_planner("wan", {"model_dir": "models/wan2.1-i2v-lvp", "loras": [{"path": ...}]}, embodiment)

Modules, one job each:
    config    WanPlannerConfig / LoraSpec (no torch)
    loading   check the model directory, load components with local files only, apply LoRAs
    text      instruction -> UMT5 embeddings, cached across replans
    history   which observed frames, at which size, in which latent slots
    encoding  VAE frames <-> normalised latents, CLIP image tokens
    sampling  the denoising loop (diffusion forcing with per-token timesteps, or first-frame I2V)
    ranking   N candidates -> IDM -> executability reward -> best
    backend   WanPlanner (the VideoPlanner)
    tiny      a tiny random model + LoRA built in code, for tests and smoke runs

Only `config` is imported here: torch and diffusers load when a planner is built.
"""

from eva_core.planning.wan.config import LoraSpec, WanPlannerConfig


def _build(config: WanPlannerConfig, embodiment):
    from eva_core.planning.wan.backend import WanPlanner

    return WanPlanner(config, embodiment)


def register() -> None:
    """Entry point of the `eva.planners` group (eva_core's setup.py): makes backend "wan" buildable."""
    from eva_core.planning.factory import register_planner

    register_planner("wan", WanPlannerConfig, _build)


__all__ = ["LoraSpec", "WanPlannerConfig", "register"]
