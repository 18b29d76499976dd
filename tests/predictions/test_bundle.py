"""The side-by-side LightningModule: each member's own logits and initial weights; the optimizer: torch's
Adam, by its fused kernel. Training side by side against alone is in test_train.py."""

import torch

from heareval.predictions.bundle import PredictorBundle, fused_adam
from heareval.predictions.grid import DEFAULT_GRID
from heareval.predictions.model import build_network


def test_a_bundle_computes_each_networks_own_logits_in_the_order_asked():
    """Narrow first layers run as one product, wide ones alone; each member's logits are its network's."""
    base = {k: v[0] for k, v in DEFAULT_GRID.items()}
    points = [{**base, "hidden_layers": 0}, {**base, "hidden_layers": 1, "hidden_dim": 300},
              {**base, "hidden_layers": 1, "hidden_dim": 16}, {**base, "hidden_layers": 2, "hidden_dim": 8}]
    bundle = PredictorBundle(40, 5, True, points, seed=3, maximize=True, validation_x=None, validator=None).eval()
    x = torch.randn(64, 40)
    for members in ([0, 1, 2, 3], [3, 1, 0], [2], [1, 2]):
        for member, logits in zip(members, bundle.logits(x, members)):
            torch.testing.assert_close(logits, bundle.nets[member](x), rtol=1e-5, atol=1e-5)
    for hp, net in zip(points, bundle.nets):  # each starts from the weights it would have alone
        torch.manual_seed(3)
        alone = build_network(40, 5, hp)
        assert all(torch.equal(a, b) for a, b in zip(alone.state_dict().values(), net.state_dict().values()))



def test_fused_adam_makes_the_same_updates_as_the_default_adam():
    def train(make_optimizer):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 5))
        optimizer = make_optimizer(list(net.parameters()))
        generator = torch.Generator().manual_seed(1)
        for _ in range(30):
            loss = net(torch.randn(16, 64, generator=generator)).square().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return optimizer, torch.cat([p.detach().flatten() for p in net.parameters()])

    fused, fused_weights = train(lambda parameters: fused_adam([{"params": parameters, "lr": 1e-2}]))
    _, default_weights = train(lambda parameters: torch.optim.Adam(parameters, lr=1e-2))
    assert fused.defaults["fused"], "this torch (>= 2.4) has the fused kernel for CPU parameters"
    torch.testing.assert_close(fused_weights, default_weights, rtol=1e-5, atol=1e-6)
    assert not torch.equal(fused_weights, train(lambda parameters: fused_adam([{"params": parameters, "lr": 1e-3}]))[1])
