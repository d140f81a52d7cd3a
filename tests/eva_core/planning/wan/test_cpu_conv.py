"""The oneDNN route for 3-D convolutions gives PyTorch's results (values and gradients) on the CPU."""

import torch

from eva_core.planning.wan.cpu_conv import use_onednn_conv3d


def test_routed_conv3d_matches_pytorch_values_and_gradients():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv3d(3, 4, 3, padding=1), torch.nn.SiLU(), torch.nn.Conv3d(4, 2, (1, 3, 3), stride=(1, 2, 2)))
    x = torch.randn(1, 3, 5, 12, 10, requires_grad=True)
    ref = net(x)
    ref.square().sum().backward()
    grads = [p.grad.clone() for p in net.parameters()]
    x_grad = x.grad.clone()
    net.zero_grad()
    x.grad = None
    assert use_onednn_conv3d(net) == 2
    out = net(x)
    out.square().sum().backward()
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(x.grad, x_grad, rtol=1e-4, atol=1e-5)
    for p, g in zip(net.parameters(), grads):
        torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-5)


def test_the_planner_routes_the_vae_on_the_cpu(cpu_config, embodiment):

    from eva_core.planning import make_planner

    planner = make_planner("wan", cpu_config(), embodiment)
    convs = [m for m in planner.model.vae.modules() if isinstance(m, torch.nn.Conv3d)]
    assert convs and all("_conv_forward" in vars(m) for m in convs)  # an instance override, not the class method
    planner.close()
