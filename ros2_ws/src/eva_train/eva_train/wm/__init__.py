"""World-model (video planner) training: SFT with diffusion forcing (`eva-train sft`), LoRA or full."""
