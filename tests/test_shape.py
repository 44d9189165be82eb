"Tests for chiral_em.shape: the shape CNN, its model files, re-simulation, refinement and the nearest-neighbour floor."
import numpy as np
import pytest
import torch

from chiral_em.sim.superellipse import simulate
from chiral_em.shape import ShapeCNN, predict, resim_jaccard, refine_params, split_indices, shape_knn, to_input, rmse


def test_cnn_shapes_and_split():
    assert predict(ShapeCNN(), np.zeros((5, 44, 44), np.uint8)).shape == (5, 3)
    tr, va, te = split_indices(1000)
    assert (len(tr), len(va), len(te)) == (700, 100, 200)
    with pytest.raises(ValueError, match="N,H,W"): to_input(np.zeros((44, 44)))
    assert np.allclose(rmse(np.ones((4, 3)), np.zeros((4, 3))), 1)


def test_model_files_say_what_they_read(tmp_path):
    from chiral_em.models import save_model, load_model
    m = ShapeCNN(width=4, input_kind="mask")
    assert m.init_kwargs == dict(width=4, size=44, dropout=0.2, input_kind="mask")
    meta = dict(input_kind="mask", sampling=None, profile="test", data_version="4", seed=0, example_input=[1, 1, 44, 44])
    mm, meta2 = load_model(save_model(tmp_path / "mask.pt", m, meta))
    assert mm.input_kind == "mask" and mm[0].out_channels == 4 and meta2["input_kind"] == "mask"
    with pytest.raises(ValueError, match="masks="): predict(mm, np.zeros((2, 44, 44), np.uint8))
    assert predict(mm, None, masks=np.zeros((2, 44, 44), bool)).shape == (2, 3)
    with pytest.raises(ValueError, match="input_kind"): ShapeCNN(input_kind="rgb")


def test_resimulation_recovers_true_parameters():
    s = simulate(np.random.default_rng(7), 6)
    j = resim_jaccard(s["masks"], s["params"][:, :3], s["native"], n_phase=72)
    assert j.min() > 0.75
    with pytest.raises(ValueError, match="parameter rows"): resim_jaccard(s["masks"], s["params"][:2], s["native"])


def test_refine_never_lowers_the_fit():
    s = simulate(np.random.default_rng(5), 8)
    start = np.tile([[8.0, 3, 2.5]], (8, 1))
    P, J = refine_params(s["masks"], start, s["native"], n_phase=12)
    assert (J >= resim_jaccard(s["masks"], start, s["native"], 12) - 1e-9).all()
    assert set(np.unique(P[:, 1])) <= set(range(1, 7)) and ((P[:, 0] >= 1) & (P[:, 0] <= 15)).all()


def test_shape_knn_finds_turned_copies():
    r = simulate(np.random.default_rng(8), 200)
    q = np.rot90(r["masks"][:4], 3, (1, 2))
    mean, best, idx, rot = shape_knn(q, r["masks"], r["params"], k=1)
    assert np.allclose(best, 1) and list(idx) == [0, 1, 2, 3] and np.allclose(mean, r["params"][:4, :3])
