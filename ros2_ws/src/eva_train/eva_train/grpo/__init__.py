"""EVA's alignment step: GRPO post-training of the world model with the IDM executability reward."""
