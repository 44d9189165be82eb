"Liquid-cell TEM engine (sim.liquid_cell) and tracker (track): determinism, ground truth, tracking an easy movie."
import numpy as np, pandas as pd, pytest
from chiral_em.sim.liquid_cell import simulate_movie, add_particle
from chiral_em.track import (detect_frames_otsu, link, evaluate, measure_particles, unwrap_angles, msd, read_movie,
                             core_target)
from chiral_em.core import ImageError


def easy_movie(seed=7, n_frames=8):
    return simulate_movie(seed, 0, n_frames=n_frames, size=160, flux=1500., jitter_xy=0.5, jitter_theta=2., n_fast=0,
                          gap=7., hop_rate=0., grain_boundary=False)


def test_same_seed_same_bytes():
    a, b = simulate_movie(5, 2, n_frames=3, size=96), simulate_movie(5, 2, n_frames=3, size=96)
    assert a["frames"].tobytes() == b["frames"].tobytes() and a["labels"].tobytes() == b["labels"].tobytes()
    assert all(np.array_equal(a["gt"][k], b["gt"][k]) for k in a["gt"])
    assert simulate_movie(5, 3, n_frames=3, size=96)["frames"].tobytes() != a["frames"].tobytes()
    two = simulate_movie(5, 2, n_frames=2, size=128, n_layers=2)
    assert two["frames"].tobytes() == simulate_movie(5, 2, n_frames=2, size=128, n_layers=2)["frames"].tobytes()


@pytest.mark.parametrize("n_layers", [1, 2])
def test_ground_truth_matches_labels(n_layers):
    # seed 12: a square crystal big enough at 160 px to carry upper cubes on three supports
    mv = simulate_movie(11 if n_layers == 1 else 12, 0, n_frames=3, size=160, n_layers=n_layers)
    gt = pd.DataFrame(mv["gt"])
    for r in gt.itertuples():
        ys, xs = np.nonzero(mv["labels"][r.frame, r.layer] == r.id + 1)
        assert len(xs) > 100
        assert abs(xs.mean() - r.x) < 0.6 and abs(ys.mean() - r.y) < 0.6
    assert gt.angle.between(0, 90, inclusive="left").all()
    assert sorted(gt.layer.unique()) == list(range(n_layers))


def test_upper_cubes_rest_on_lower_ones_and_crystal_ignores_n_frames():
    from chiral_em.sim.liquid_cell import supported, SUPPORT_RADIUS, MIN_SUPPORT
    sq = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], float) * 10
    up = np.array([[5, 5], [15, 5], [-5, -5]], float)
    assert supported(up, sq, 10.).tolist() == [True, False, False]          # 4, 2 and 1 supports
    assert supported(up, sq[:3], 10.).tolist() == [True, False, False]      # 3 of 4 is enough
    assert not supported(up, sq[:2], 10.).any() and not supported(up, np.zeros((0, 2)), 10.).any()
    for s in range(4):
        one, two = (simulate_movie(s, 0, n_frames=n, size=256, n_layers=2, coverage2=0.6, labels=False, hop_rate=0.)
                    for n in (1, 2))
        g = pd.DataFrame(one["gt"])
        assert np.array_equal(g.layer, pd.DataFrame(two["gt"]).query("frame == 0").layer)   # same crystal
        lo, hi = g[g.layer == 0][["x", "y"]].to_numpy(), g[g.layer == 1][["x", "y"]].to_numpy()
        d = np.sqrt(((hi[:, None] - lo[None]) ** 2).sum(-1))
        a, tol = one["meta"]["lattice_px"], 6 * one["meta"]["jitter_xy"] / one["meta"]["pixel_size"]
        assert ((d < SUPPORT_RADIUS * a + tol).sum(1) >= MIN_SUPPORT).all()


def test_orientation_is_mod_90_and_measured():
    for th in (3., 47., 88.):
        t = np.zeros((64, 64))
        m = add_particle(t, 32.2, 31.7, th, (11, 11), 1.)
        a = measure_particles(m.astype(int), t).angle[0]
        assert abs((a - th + 45) % 90 - 45) < 1.0


def test_core_target_separates_touching():
    lab = np.zeros((20, 40), int)
    lab[5:15, 5:20], lab[5:15, 20:35] = 1, 2
    from scipy import ndimage as ndi
    assert ndi.label(core_target(lab, 2))[1] == 2


def test_tracker_on_easy_movie():
    mv = easy_movie()
    gt = pd.DataFrame(mv["gt"])
    tr = link(detect_frames_otsu(mv["frames"]))
    r = evaluate(gt, tr, max_dist=mv["meta"]["edge_px"] / 2)
    assert r["mota"] > 0.9 and r["idf1"] > 0.9 and r["rmse_px"] < 1.5 and r["orient_err_deg"] < 5, r
    tr["angle_unwrapped"] = unwrap_angles(tr)
    m = msd(tr, ("angle_unwrapped",), 3)
    assert (m.msd >= 0).all() and set(m.lag) == {1, 2, 3}


def test_evaluate_perfect_and_swapped():
    gt = pd.DataFrame(dict(frame=[0, 0, 1, 1, 2, 2], id=[0, 1] * 3, x=[0., 30] * 3, y=0., angle=[10., 80] * 3))
    assert evaluate(gt, gt, 5)["mota"] == 1.0
    sw = gt.assign(id=[0, 1, 0, 1, 1, 0])
    r = evaluate(gt, sw, 5)
    assert r["id_switches"] == 2 and r["idf1"] < 1


def test_read_movie_errors(tmp_path):
    with pytest.raises(ImageError, match="nothing.tif"): read_movie(tmp_path/"nothing.tif")
    (tmp_path/"bad.tif").write_bytes(b"not a tiff")
    with pytest.raises(ImageError, match="bad.tif"): read_movie(tmp_path/"bad.tif")
