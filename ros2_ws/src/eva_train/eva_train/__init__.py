"""Offline training for the EVA stack (`eva-train JOB`): the IDM (`idm`), the world model's autoencoder
(`vae`, `vae-roundtrip`), supervised fine-tuning of the world model (`sft`, LoRA or full weights) and
EVA's GRPO alignment with the executability reward (`grpo`).

Uses `eva_core` for the embodiment, the executability reward and the data format; never imports rclpy.
"""
