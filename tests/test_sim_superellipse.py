"Fast checks of the superellipse simulator (chiral_em.sim.superellipse)."
import numpy as np
import pytest
import torch
from chiral_em.sim.superellipse import simulate, superellipse_radius, render_scene, SYNTHESES


def test_simulator_deterministic_and_polarity():
    a = simulate(np.random.default_rng(3), 300, chunk=64)
    b = simulate(np.random.default_rng(3), 300, chunk=64, workers=1)
    assert a["images"].dtype == np.uint8 and a["images"].shape == (300, 44, 44)
    assert (a["images"] == b["images"]).all() and (a["masks"] == b["masks"]).all()
    m = a["masks"].astype(bool)
    assert a["images"][m].mean() < a["images"][~m].mean()
    assert a["params"][:, 0].min() >= 1 and a["params"][:, 2].max() <= 5
    with pytest.raises(ValueError): simulate(np.random.default_rng(0), 0)


def test_radius_ellipse():
    th = np.linspace(0, 2 * np.pi, 2000)
    r = superellipse_radius(th, 2.0, 2, 3.0)
    assert abs(r.min() - 1 / 3) < 1e-3 and abs(r.max() - 1) < 1e-3


def test_seg_masks_follow_the_true_masks():
    s = simulate(np.random.default_rng(4), 400)
    t, g = s["masks"].astype(bool), s["seg_masks"].astype(bool)
    iou = (t & g).sum((1, 2)) / np.maximum((t | g).sum((1, 2)), 1)
    big, small = s["native"] > 30, s["native"] < 8
    assert iou[big].mean() > 0.9                         # a segmentation of a large particle is close to the truth
    assert iou[small].mean() < iou[big].mean()           # small particles are pixelated
    assert (s["seg_masks"] == simulate(np.random.default_rng(4), 400, workers=1)["seg_masks"]).all()


def test_simulate_restores_torch_threads():
    n0 = torch.get_num_threads()
    simulate(np.random.default_rng(0), 8)
    assert torch.get_num_threads() == n0


def test_synthetic_scene_labels():
    img, lab, truth = render_scene(np.random.default_rng(0), SYNTHESES["B"], n=8, field=200)
    assert lab.max() == len(truth) and img.dtype == np.float32 and img[lab > 0].mean() < img[lab == 0].mean()
