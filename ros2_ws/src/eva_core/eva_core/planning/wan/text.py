"""Instruction -> UMT5 text embeddings, as Wan2.1 was trained, cached across replans.

A receding-horizon episode replans the same instruction every few seconds; the UMT5-XXL encoder
(5.7 B parameters) need not run again. `PromptEncoder` keeps the embeddings of the last
`cache_size` texts on the transformer's device.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict

# Wan2.1's text length: the image cross-attention of the I2V transformer splits its context at
# (context length - 512), so the text part must be exactly this long.
TEXT_LEN = 512


def clean_prompt(text: str) -> str:
    """Wan's prompt cleaning without ftfy (not a dependency): HTML entities unescaped, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(html.unescape(text))).strip()


class PromptEncoder:
    def __init__(self, tokenizer, text_encoder, device, dtype, cache_size: int = 16):
        self.tokenizer = tokenizer
        self.text_encoder = text_encoder
        self.device = device  # where the embeddings go (the transformer's device)
        self.dtype = dtype  # the transformer's dtype
        self.cache_size = cache_size
        self._cache: OrderedDict[str, object] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __call__(self, text: str):
        """float [1, TEXT_LEN, text_dim]: the encoder's states of the tokens, zeros after the last one."""
        key = clean_prompt(text)
        if key in self._cache:
            self.hits += 1
            self._cache.move_to_end(key)
            return self._cache[key]
        self.misses += 1
        embeds = self._encode(key)
        self._cache[key] = embeds
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return embeds

    def _encode(self, text: str):
        import torch
        from diffusers.utils.torch_utils import get_module_execution_device

        tokens = self.tokenizer(
            [text], padding="max_length", max_length=TEXT_LEN, truncation=True, add_special_tokens=True,
            return_attention_mask=True, return_tensors="pt",
        )
        encoder_device = get_module_execution_device(self.text_encoder)  # the GPU also under CPU offload
        ids, mask = tokens.input_ids.to(encoder_device), tokens.attention_mask.to(encoder_device)
        with torch.inference_mode():
            states = self.text_encoder(ids, mask).last_hidden_state
            length = int(mask.gt(0).sum())
            states = states.to(self.device, self.dtype).clone()
            states[:, length:] = 0  # as Wan: padding positions carry zeros, not the encoder's states
        return states

    def clear(self) -> None:
        self._cache.clear()
