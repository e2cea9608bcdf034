"""One training step of a 2-2-1 sigmoid network, worked out by hand, digit for digit.

Network: a1 = σ(W1 x + b1), a2 = σ(W2 a1 + b2), loss L = (a2 - y)², one SGD step with lr = 0.5.
Sample: x = (1, 0), y = 1 (one row of XOR).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import glassnet as gn
from glassnet import nn, optim


def test_one_sgd_step_by_hand() -> None:
    net = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), nn.Sigmoid(),
                        nn.Linear(2, 1, dtype=np.float64), nn.Sigmoid())
    net.load_state_dict({
        "0.weight": np.array([[0.15, 0.20], [0.25, 0.30]]), "0.bias": np.array([0.35, 0.35]),
        "2.weight": np.array([[0.40, 0.45]]), "2.bias": np.array([0.60]),
    })
    x, y = gn.tensor(np.array([[1.0, 0.0]])), gn.tensor(np.array([[1.0]]))
    opt = optim.SGD(net.parameters(), lr=0.5)

    # Forward.
    # z1 = W1 x + b1 = (0.15·1 + 0.20·0 + 0.35, 0.25·1 + 0.30·0 + 0.35) = (0.50, 0.60)
    # a1 = σ(z1) = (1/(1 + e^-0.5), 1/(1 + e^-0.6)) = (0.6224593312, 0.6456563062)
    # z2 = 0.40·0.6224593312 + 0.45·0.6456563062 + 0.60 = 0.2489837325 + 0.2905453378 + 0.60
    #    = 1.1395290703
    # a2 = σ(1.1395290703) = 0.7575931652
    # L  = (0.7575931652 - 1)² = (-0.2424068348)² = 0.0587610735
    hidden = net[1](net[0](x))
    out = net[3](net[2](hidden))
    loss = nn.MSELoss()(out, y)
    assert_allclose(hidden.array, [[0.6224593312018546, 0.6456563062257954]], rtol=0, atol=1e-15)
    assert out.item() == pytest.approx(0.7575931652488075, abs=1e-15)
    assert loss.item() == pytest.approx(0.058761073534091955, abs=1e-15)

    # Backward.
    # dL/da2 = 2(a2 - y) = 2·(-0.2424068348) = -0.4848136695
    # σ'(z2) = a2(1 - a2) = 0.7575931652·0.2424068348 = 0.1836457612
    # δ2 = dL/dz2 = -0.4848136695·0.1836457612 = -0.0890339754
    # dL/dW2 = δ2·a1ᵀ = (-0.0890339754·0.6224593312, -0.0890339754·0.6456563062)
    #        = (-0.0554200288, -0.0574853477);  dL/db2 = δ2 = -0.0890339754
    # σ'(z1) = a1(1 - a1) = (0.2350037122, 0.2287842405)
    # δ1 = W2ᵀ δ2 ⊙ σ'(z1) = (0.40·-0.0890339754·0.2350037122, 0.45·-0.0890339754·0.2287842405)
    #    = (-0.0083693259, -0.0091663067)
    # dL/dW1 = δ1 xᵀ = [[-0.0083693259, 0], [-0.0091663067, 0]]  (x2 = 0 gives a zero column)
    opt.zero_grad()
    loss.backward()
    W1, b1, W2, b2 = net[0].weight, net[0].bias, net[2].weight, net[2].bias
    assert b2.grad_array == pytest.approx([-0.08903397538422131], abs=1e-15)
    assert_allclose(W2.grad, [[-0.05542002877190478, -0.05748534767517472]], rtol=0, atol=1e-15)
    assert b1.grad_array == pytest.approx([-0.008369325890942959, -0.009166306694902109], abs=1e-15)
    assert_allclose(W1.grad, [[-0.008369325890942959, 0.0], [-0.009166306694902109, 0.0]], rtol=0, atol=1e-15)

    # SGD update, w ← w - lr·dL/dw with lr = 0.5:
    # W2 = (0.40 + 0.5·0.0554200288, 0.45 + 0.5·0.0574853477) = (0.4277100144, 0.4787426738)
    # b2 = 0.60 + 0.5·0.0890339754 = 0.6445169877
    # W1 = [[0.15 + 0.5·0.0083693259, 0.20], [0.25 + 0.5·0.0091663067, 0.30]]
    #    = [[0.1541846629, 0.20], [0.2545831533, 0.30]]
    # b1 = (0.3541846629, 0.3545831533)
    opt.step()
    assert_allclose(W2.array, [[0.4277100143859524, 0.4787426738375874]], rtol=0, atol=1e-15)
    assert b2.array == pytest.approx([0.6445169876921106], abs=1e-15)
    assert_allclose(W1.array, [[0.15418466294547148, 0.20], [0.2545831533474511, 0.30]], rtol=0, atol=1e-15)
    assert b1.array == pytest.approx([0.35418466294547146, 0.35458315334745105], abs=1e-15)

    # The step lowered the loss: 0.0587610735 before.
    assert nn.MSELoss()(net(x), y).item() < 0.058761073534091955
