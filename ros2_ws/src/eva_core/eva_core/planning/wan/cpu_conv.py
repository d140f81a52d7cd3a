"""A CPU fast path for 3-D convolutions (the Wan VAE, the transformer's patch embedding).

PyTorch picks its oneDNN (mkldnn) convolution on the CPU only when a heuristic says the input is big
enough (batch > 1, or batch x channels x frames x height > 20480 elements); otherwise it falls back to
`slow_conv3d` (im2col + GEMM). The Wan VAE decodes one latent frame at a time at batch 1, so every
one of its 3x3x3 convolutions takes the slow path: measured on the 2-core build machine, a 16-channel
conv over 6 x 98 x 130 voxels took 77 ms there and 3.8 ms through oneDNN, with identical results
(max difference 2.5e-6). `use_onednn_conv3d` routes a module's Conv3d layers through oneDNN directly.
"""

from __future__ import annotations

import types


def _onednn_conv_forward(self, input, weight, bias):
    import torch

    if input.device.type != "cpu" or input.dtype not in (torch.float32, torch.bfloat16) or self.padding_mode != "zeros":
        return type(self)._conv_forward(self, input, weight, bias)
    return torch.mkldnn_convolution(input.contiguous(), weight, bias, self.padding, self.stride, self.dilation, self.groups)


def use_onednn_conv3d(module) -> int:
    """Route every Conv3d of `module` through oneDNN when it runs on the CPU (other devices and dtypes
    keep PyTorch's own choice); returns how many layers were routed. Gradients work as usual."""
    import torch

    if not torch.backends.mkldnn.is_available():
        return 0
    count = 0
    for layer in module.modules():
        if isinstance(layer, torch.nn.Conv3d) and isinstance(layer.padding, tuple):
            layer._conv_forward = types.MethodType(_onednn_conv_forward, layer)
            count += 1
    return count
