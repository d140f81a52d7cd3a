"""The Flow-GRPO SDE step: its log-probability is the analytic Gaussian; noise_level scales the spread."""

import math

import torch

from eva_train.grpo.sde import sde_step, sigma_schedule


def test_log_prob_is_the_analytic_gaussian_density():
    g = torch.Generator().manual_seed(0)
    x, v = torch.randn((3, 4, 2, 5), generator=g), torch.randn((3, 4, 2, 5), generator=g)
    sigma, sigma_next, level = 0.6, 0.45, 0.7
    out = sde_step(v, sigma, sigma_next, x, noise_level=level, generator=g)
    dt = sigma_next - sigma
    std = math.sqrt(sigma / (1 - sigma)) * level
    mean = x * (1 + std**2 / (2 * sigma) * dt) + v * (1 + std**2 * (1 - sigma) / (2 * sigma)) * dt
    scale = std * math.sqrt(-dt)
    dist = torch.distributions.Normal(mean, torch.full_like(mean, scale))
    expected = dist.log_prob(out.prev_sample).mean(dim=(1, 2, 3))
    torch.testing.assert_close(out.log_prob, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out.mean, mean)
    # Given the sample (training), the same density is returned and nothing is drawn.
    again = sde_step(v, sigma, sigma_next, x, noise_level=level, prev_sample=out.prev_sample)
    torch.testing.assert_close(again.log_prob, out.log_prob)


def test_sigma_one_uses_sigma_max_and_per_row_sigmas_broadcast():
    x, v = torch.zeros((2, 3)), torch.ones((2, 3))
    out = sde_step(v, torch.tensor([1.0, 0.5]), torch.tensor([0.9, 0.4]), x, noise_level=0.7, sigma_max=0.9,
                   noise=torch.zeros((2, 3)))
    assert torch.isfinite(out.log_prob).all() and torch.isfinite(out.mean).all()
    std0 = math.sqrt(0.9 / 0.1) * 0.7 * math.sqrt(0.1)
    assert math.isclose(float(out.std[0]), std0, rel_tol=1e-5)


def test_without_noise_the_mean_is_the_euler_step_when_the_level_is_tiny():
    x, v = torch.randn(4, 6), torch.randn(4, 6)
    out = sde_step(v, 0.5, 0.25, x, noise_level=1e-6, noise=torch.zeros(4, 6))
    torch.testing.assert_close(out.prev_sample, x + (0.25 - 0.5) * v, rtol=1e-5, atol=1e-5)


def test_schedule_runs_from_one_to_zero_with_the_shift():
    s = sigma_schedule(10, 3.0)
    assert s.shape == (11,) and float(s[0]) == 1.0 and float(s[-1]) == 0.0
    assert torch.all(s[1:] < s[:-1]) and float(s[5]) > 0.5  # shifted towards noise
