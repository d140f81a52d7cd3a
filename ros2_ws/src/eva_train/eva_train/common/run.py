"""The opening of every training run: threads, accelerate, the run folder with its config, the seed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass
class RunContext:
    accelerator: object  # accelerate.Accelerator
    device: torch.device
    main: bool  # the process that logs and writes checkpoints
    run: Path


def start_run(cfg, **accelerator_kwargs) -> RunContext:
    """`cfg` has out_dir, seed, threads and to_dict(); the config is saved as run/train_config.json."""
    from accelerate import Accelerator

    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    accelerator = Accelerator(**accelerator_kwargs)
    run = Path(cfg.out_dir)
    run.mkdir(parents=True, exist_ok=True)
    if accelerator.is_main_process:
        (run / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    torch.manual_seed(cfg.seed)
    return RunContext(accelerator, accelerator.device, accelerator.is_main_process, run)
