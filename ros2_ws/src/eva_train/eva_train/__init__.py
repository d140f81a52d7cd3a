"""Offline training for the EVA stack (GPU servers): IDM, SFT and GRPO post-training with LoRA.

Uses `eva_core` for the embodiment, the executability reward and the data format; never imports rclpy.
"""
