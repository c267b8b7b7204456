import pytest

from autoencode_lib import WidthProfile


def test_from_blocks_and_derived_quantities(curve_profile):
    p = curve_profile
    assert p.widths == (2,) * 10 + (1,) * 10 + (2,) * 10
    assert (p.dim, p.latent_width, p.steps) == (2, 1, 30)
    assert p.step_size == pytest.approx(0.1)
    assert p.blocks == ((2, 10), (1, 10), (2, 10))
    assert p.is_autoencoder and not p.is_neurode
    assert p.bottleneck_end == 20
    assert len(p.times) == 31 and p.times[-1] == pytest.approx(3.0)


def test_constant_profile_is_a_neurode():
    p = WidthProfile.constant(dim=2, steps=20, horizon=2.0)
    assert p.widths == (2,) * 20 and p.is_neurode and not p.is_autoencoder
    assert p.step_size == pytest.approx(0.1)


def test_general_profiles_are_allowed():
    p = WidthProfile.from_blocks([(3, 2), (1, 1), (3, 1), (2, 2)])
    assert p.dim == 3 and p.latent_width == 1 and not p.is_autoencoder
    p2 = WidthProfile.from_blocks([(2, 3)], dim=4)
    assert p2.dim == 4 and p2.latent_width == 2


def test_refine_keeps_blocks_and_horizon(curve_profile):
    fine = curve_profile.refine(4)
    assert fine.steps == 120 and fine.horizon == 3.0
    assert fine.blocks == ((2, 40), (1, 40), (2, 40))


@pytest.mark.parametrize(
    "blocks, match",
    [
        ([], "non-empty"),
        ([(2, 0)], "empty block"),
        ([(0, 3)], "width of block 0"),
        ([(2, 3), (3,)], "block 1"),
        ([(2.5, 3)], "integer"),
        ("22", "non-empty list"),
    ],
)
def test_bad_blocks_raise_clear_errors(blocks, match):
    with pytest.raises((ValueError, TypeError), match=match):
        WidthProfile.from_blocks(blocks)


def test_width_outside_dim():
    with pytest.raises(ValueError, match="outside 1..d"):
        WidthProfile.from_blocks([(3, 2)], dim=2)
    with pytest.raises(ValueError, match="outside 1..d"):
        WidthProfile((1, 5, 2), dim=3)


@pytest.mark.parametrize("horizon", [0, -1.0, float("nan"), float("inf")])
def test_bad_horizon(horizon):
    with pytest.raises(ValueError, match="horizon"):
        WidthProfile.from_blocks([(2, 3)], horizon=horizon)


def test_bad_steps():
    with pytest.raises(ValueError, match="steps"):
        WidthProfile.constant(dim=2, steps=0)
    with pytest.raises(TypeError, match="horizon"):
        WidthProfile.constant(dim=2, steps=3, horizon="1")


def test_no_bottleneck_for_a_neurode():
    with pytest.raises(ValueError, match="no bottleneck"):
        _ = WidthProfile.constant(dim=3, steps=4).bottleneck_end
