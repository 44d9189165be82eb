"AgCo HRTEM imaging engine (chiral_em.sim.agco_image): shapes, seeded bytes, clean vs noisy scale, field check."
import numpy as np
import pytest

from chiral_em.sim import agco_image as ai
from chiral_em.sim import md


def _cluster():
    x, t = md.initial_droplets(20, 20)   # a Janus-like geometry, no MD needed
    return dict(positions=x, types=t)


def test_images_seeded_and_scaled():
    a = ai.image_cluster(_cluster(), [0, 1], out_px=64, n_draws=2)
    b = ai.image_cluster(_cluster(), [0, 1], out_px=64, n_draws=2)
    assert a["clean"].shape == a["noisy"].shape == (2, 64, 64)
    assert a["noisy"].tobytes() == b["noisy"].tobytes()
    assert abs(a["noisy"].mean() / a["clean"].mean() - 1) < 0.05
    assert a["mask"].sum() > 0


def test_too_small_field():
    with pytest.raises(ValueError, match="does not fit"):
        ai.image_cluster(_cluster(), 0, out_px=16)


def test_rotation_is_orthonormal():
    R = ai.random_rotation(np.random.default_rng(3))
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert abs(np.linalg.det(R) - 1) < 1e-12


def test_threaded_generation_same_bytes(tmp_path):
    "Same seed, same bytes under dask's threaded scheduler (abTEM's config is process-wide, not a racy `with`)."
    from chiral_em.core import save_arrays
    paths = []
    for i in range(4):
        x, t = md.initial_droplets(10 + i, 12)
        paths.append(save_arrays(tmp_path / f"c{i}.npz", dict(positions=x, types=t)))
    runs = [ai.generate_images(paths, tmp_path / f"run{r}", 0, out_px=48, n_draws=1, scheduler="threads",
                               progress=False) for r in range(2)]
    for p, q in zip(*runs):
        assert np.load(p)["clean"].tobytes() == np.load(q)["clean"].tobytes(), p
