"""Load a Wan2.1 image-to-video model from a local diffusers-format directory, with LoRA adapters.

    check_model_dir(path)                  # raises WanModelError listing every missing part
    model = load_wan(config)               # WanModel: the pipeline's components, LoRAs applied

Nothing is downloaded: every `from_pretrained` reads a local folder with `local_files_only=True`, and a
missing or incomplete folder is reported before any weight is read, with the hint of how to place the
weights (models/README.md, section "Video planner").
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eva_core.config import ConfigError
from eva_core.planning.wan.config import LoraSpec, WanPlannerConfig, resolve_path

# What each component folder must hold: (label, alternatives). An alternative is a tuple of files that
# together make the part; a `*.index.json` (sharded weights) also needs every shard it lists.
PARTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "transformer": (("config.json",), ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json")),
    "vae": (("config.json",), ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json")),
    "text_encoder": (("config.json",), ("model.safetensors", "model.safetensors.index.json")),
    "tokenizer": (("tokenizer.json", "spiece.model"),),
    "image_encoder": (("config.json",), ("model.safetensors", "model.safetensors.index.json")),
    "image_processor": (("preprocessor_config.json",),),
    "scheduler": (("scheduler_config.json",),),
}
HINT = (
    "Place a Wan2.1 image-to-video model in diffusers format there (see models/README.md, 'Video planner'): "
    "e.g. on a machine with network access `huggingface-cli download Wan-AI/Wan2.1-I2V-14B-480P-Diffusers "
    "--local-dir DIR`, then copy DIR here; an LVP-initialised or our own fine-tuned transformer replaces "
    "transformer/ (original-format Wan checkpoints convert with diffusers' scripts/convert_wan_to_diffusers.py). "
    "For a smoke test, build a tiny random one: `python -c \"from eva_core.planning.wan.tiny import build_tiny_wan; "
    "build_tiny_wan('DIR')\"`. Nothing is downloaded at run time."
)
DTYPES = ("bfloat16", "float16", "float32")


class WanModelError(ConfigError):
    """The model directory or a LoRA file is missing, incomplete or of the wrong kind."""


def _missing_shards(index: Path) -> list[str]:
    try:
        weight_map = json.loads(index.read_text())["weight_map"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return [f"{index.name} (unreadable: {err})"]
    return sorted({f for f in weight_map.values() if not (index.parent / f).is_file()})


def missing_parts(model_dir: str | Path) -> list[str]:
    """What `model_dir` lacks to be a complete diffusers-format Wan2.1 I2V model ([] = complete)."""
    root = Path(model_dir)
    if not root.is_dir():
        return [f"{root} itself (it does not exist)"]
    missing = [] if (root / "model_index.json").is_file() else ["model_index.json"]
    for part, needs in PARTS.items():
        folder = root / part
        if not folder.is_dir():
            missing.append(f"{part}/")
            continue
        for alternatives in needs:
            present = [f for f in alternatives if (folder / f).is_file()]
            if not present:
                missing.append(f"{part}/{' or '.join(alternatives)}")
            elif present[0].endswith(".index.json"):
                shards = _missing_shards(folder / present[0])
                missing += [f"{part}/{s} (listed in {present[0]}: incomplete copy?)" for s in shards]
    if not missing:
        config = json.loads((root / "transformer" / "config.json").read_text())
        if config.get("image_dim") is None or config.get("in_channels") != 36:
            missing.append(
                "an image-to-video transformer (transformer/config.json has "
                f"in_channels={config.get('in_channels')}, image_dim={config.get('image_dim')}: a text-to-video "
                "model? Wan2.1-I2V has in_channels 36 and image_dim 1280)"
            )
    return missing


def check_model_dir(model_dir: str | Path) -> Path:
    """`model_dir` as a Path if it is complete, else a WanModelError naming every missing part."""
    if not Path(model_dir).is_dir():
        raise WanModelError("model_dir", f"{model_dir} does not exist. " + HINT)
    missing = missing_parts(model_dir)
    if missing:
        raise WanModelError(
            "model_dir", f"{model_dir} is not a complete Wan2.1 image-to-video model in diffusers format; missing: "
            + "; ".join(missing) + ". " + HINT
        )
    return Path(model_dir)


@dataclass
class WanModel:
    """The loaded components (the pipeline object holds them too, for offload and LoRA calls)."""

    pipe: Any  # diffusers.WanImageToVideoPipeline
    transformer: Any
    vae: Any
    text_encoder: Any
    tokenizer: Any
    image_encoder: Any
    image_processor: Any
    scheduler: Any
    device: Any  # torch.device where inputs go (the GPU also under CPU offload)
    dtype: Any  # torch dtype of the transformer
    adapters: tuple[str, ...]  # loaded LoRA adapter names, in config order


def clip_image_processor_class():
    """CLIP's image processor without torchvision (not a dependency): the PIL backend of transformers 5,
    or the classic class where that is the PIL one."""
    import transformers

    return getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor


def torch_dtype(name: str):
    import torch

    if name not in DTYPES:
        raise ConfigError("dtype", f"must be one of {DTYPES}, got {name!r}")
    return getattr(torch, name)


def make_scheduler(kind: str, scheduler_dir: Path, shift: float | None):
    """The sampler: "unipc" (UniPC multistep, flow prediction) or "euler" (flow-matching Euler), with
    the model's own scheduler settings where they apply and `shift` (None = the model's)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler

    base = json.loads((scheduler_dir / "scheduler_config.json").read_text())
    model_shift = float(base.get("flow_shift") or base.get("shift") or 3.0)
    shift = float(shift if shift is not None else model_shift)
    train_steps = int(base.get("num_train_timesteps", 1000))
    if kind == "unipc":
        if base.get("_class_name") == "UniPCMultistepScheduler":
            return UniPCMultistepScheduler.from_config(base, flow_shift=shift)
        return UniPCMultistepScheduler(
            num_train_timesteps=train_steps, prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=shift
        )
    if kind == "euler":
        return FlowMatchEulerDiscreteScheduler(num_train_timesteps=train_steps, shift=shift)
    raise ConfigError("scheduler", f"must be 'unipc' or 'euler', got {kind!r}")


def lora_file(spec: LoraSpec, index: int) -> Path:
    """The adapter's safetensors file (a directory must hold exactly one)."""
    path = resolve_path(spec.path)
    key = f"loras[{index}].path"
    if path.is_dir():
        files = sorted(path.glob("*.safetensors"))
        if len(files) != 1:
            raise WanModelError(key, f"{path} must hold exactly one .safetensors adapter file, found {len(files)}")
        return files[0]
    if not path.is_file():
        raise WanModelError(key, f"no LoRA adapter at {path} (a .safetensors file or a directory holding one)")
    return path


def load_lora(pipe, path: Path, name: str, key: str) -> None:
    """Load one adapter into the transformer as `name`; raise if nothing of it was applied."""
    state, metadata = pipe.lora_state_dict(str(path), return_lora_metadata=True)
    if not state or not all("lora" in k for k in state):
        raise WanModelError(key, f"{path} is not a LoRA adapter (its keys must contain 'lora_A'/'lora_B' or 'lora_down'/'lora_up')")
    if not any(k.startswith("transformer.") for k in state):
        # A bare peft state dict (get_peft_model_state_dict(transformer)): the keys are the transformer's own.
        state = {f"transformer.{k}": v for k, v in state.items()}
        if metadata:
            metadata = {k if k.startswith("transformer.") else f"transformer.{k}": v for k, v in metadata.items()}
    state = pipe._maybe_expand_t2v_lora_for_i2v(pipe.transformer, state)  # T2V LoRA on I2V: zero image-attention parts
    try:
        with warnings.catch_warnings():  # a second adapter is intended here, not a mistake
            warnings.filterwarnings("ignore", message="Already found a `peft_config` attribute")
            pipe.transformer.load_lora_adapter(state, prefix="transformer", adapter_name=name, metadata=metadata)
    except (ValueError, KeyError, RuntimeError) as err:  # no matching module, shape mismatch
        raise WanModelError(key, f"{path} does not fit this transformer: {err}") from None
    if name not in getattr(pipe.transformer, "peft_config", {}):
        raise WanModelError(key, f"{path}: no key matched a module of the transformer; is it an adapter for Wan2.1 I2V?")


def load_wan(config: WanPlannerConfig) -> WanModel:
    """Load every component of `config.model_dir` onto `config.device`, apply `config.loras` with their
    weights, then the speed options (VAE tiling, CPU offload, compile)."""
    import torch
    from diffusers import AutoencoderKLWan, WanTransformer3DModel
    from transformers import AutoTokenizer, CLIPVisionModel, UMT5EncoderModel

    root = check_model_dir(resolve_path(config.model_dir))
    device = check_device(config)
    dtype = torch_dtype(config.dtype)
    text_dtype = torch.bfloat16 if dtype == torch.float16 else dtype  # UMT5 overflows in fp16
    local = dict(local_files_only=True)
    components = dict(
        transformer=WanTransformer3DModel.from_pretrained(root / "transformer", torch_dtype=dtype, **local),
        vae=AutoencoderKLWan.from_pretrained(root / "vae", torch_dtype=torch.float32, **local),
        text_encoder=UMT5EncoderModel.from_pretrained(root / "text_encoder", dtype=text_dtype, **local),
        tokenizer=AutoTokenizer.from_pretrained(root / "tokenizer", **local),
        image_encoder=CLIPVisionModel.from_pretrained(root / "image_encoder", dtype=torch.float32, **local),
        image_processor=clip_image_processor_class().from_pretrained(root / "image_processor", **local),
        scheduler=make_scheduler(config.scheduler, root / "scheduler", config.flow_shift),
    )
    return assemble_wan(components, config, device)


def check_device(config: WanPlannerConfig):
    """`config.device` as a torch.device; a readable error when CUDA is asked for and absent."""
    import torch

    device = torch.device(config.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", f"{config.device!r} asked for, but torch sees no CUDA device (use 'cpu' for the tiny model)")
    return device


def assemble_wan(components: dict[str, Any], config: WanPlannerConfig, device) -> WanModel:
    """The pipeline over already-built `components` (the keys of `WanImageToVideoPipeline`): LoRAs from
    `config.loras`, then VAE tiling, CPU offload or placement on `device`, and compile. `load_wan` uses
    it after reading a directory; `bench/planner.py` with a Wan2.1-sized model built in memory."""
    from diffusers import WanImageToVideoPipeline

    transformer, vae = components["transformer"], components["vae"]
    text_encoder, image_encoder = components["text_encoder"], components["image_encoder"]
    tokenizer, image_processor, scheduler = components["tokenizer"], components["image_processor"], components["scheduler"]
    dtype = transformer.dtype
    for module in (transformer, vae, text_encoder, image_encoder):
        module.eval().requires_grad_(False)
    pipe = WanImageToVideoPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=scheduler,
        image_processor=image_processor, image_encoder=image_encoder, transformer=transformer,
    )
    pipe.set_progress_bar_config(disable=True)
    for i, (spec, name) in enumerate(zip(config.loras, config.adapter_names)):
        load_lora(pipe, lora_file(spec, i), name, f"loras[{i}].path")
    if config.loras:
        pipe.set_adapters(list(config.adapter_names), adapter_weights=[spec.weight for spec in config.loras])
    if config.vae_tiling:
        vae.enable_tiling()
    if config.cpu_offload:
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)
    if device.type == "cpu":  # batch-1 3-D convolutions would take PyTorch's slow path (see cpu_conv)
        from eva_core.planning.wan.cpu_conv import use_onednn_conv3d

        use_onednn_conv3d(vae)
        use_onednn_conv3d(transformer)
    if config.compile:
        transformer.compile()  # in place: the pipeline, LoRA calls and our loop keep the same module
    return WanModel(
        pipe=pipe, transformer=transformer, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
        image_encoder=image_encoder, image_processor=image_processor, scheduler=scheduler,
        device=device, dtype=dtype, adapters=config.adapter_names,
    )
