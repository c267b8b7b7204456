import pytest
import torch

from autoencode_lib import AutoencODE, WidthProfile

# The test models are tiny: one thread avoids thread contention (2-core CI, parallel notebooks).
torch.set_num_threads(1)


@pytest.fixture
def curve_profile() -> WidthProfile:
    return WidthProfile.from_blocks([(2, 10), (1, 10), (2, 10)], horizon=3.0)


@pytest.fixture
def rng() -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(1234)
    return g


def random_model(blocks, horizon=1.5, activation="tanh", inactive="reset", seed=0, dim=None):
    profile = WidthProfile.from_blocks(blocks, horizon=horizon, dim=dim)
    return AutoencODE(profile, activation=activation, inactive=inactive, dtype=torch.float64, seed=seed)
