"Tests for the HRTEM engine (hrtem_sim), Fourier tools (fourier) and the segment pipeline/CLI (hrtem)."
import json, numpy as np, pytest, torch
from chiral_em.core import shared_data
from chiral_em.hrtem_sim import (wavelength, make_cluster, orient, column_positions, column_map, particle_mask, mtf,
                                 detect, ctf_image, generate_structures, make_batch, LATTICE)
from chiral_em.fourier import fit_mtf, zone_axis_ratio, window_starts, radial_nps
from chiral_em.hrtem import dice, match_points, count_events, find_columns, scale_bar_px, main, to_sampling
from chiral_em.nets import MSDNet, save_model
from chiral_em.emio import write_tif

def test_wavelength():
    assert abs(wavelength(200e3) - 0.025079) < 1e-5 and abs(wavelength(300e3) - 0.019687) < 1e-5
    with pytest.raises(ValueError): wavelength(0)

def test_clusters_and_orientation():
    c = make_cluster("Au", "cuboctahedron", 12.)
    assert len(c) == 147
    for z in ("100", "110", "111"):
        o = orient(c, z, tilt=4., tilt_azimuth=20., rotation=50.)
        np.testing.assert_allclose(np.linalg.norm(o.positions, axis=1), np.linalg.norm(c.positions, axis=1), atol=1e-9)
    for s in ("truncated_octahedron", "decahedron", "icosahedron"):
        assert np.ptp(make_cluster("Pt", s, 15.).positions[:, :2], 0).max() >= 15.
    with pytest.raises(ValueError, match="shape"): make_cluster("Au", "cube")

def test_columns_on_zone_axis():
    "[100] projection: square column lattice a/2 apart; atom counts add up; tilt smears columns into more clusters."
    c = make_cluster("Au", "cuboctahedron", 15.)
    cols, n = column_positions(orient(c, "100").positions[:, :2])
    assert n.sum() == len(c)
    d = np.sort(np.linalg.norm(cols[:, None] - cols[None], axis=-1), 1)[:, 1]
    assert abs(np.median(d) - LATTICE["Au"] / 2) < 0.05
    assert len(column_positions(orient(c, "100", tilt=10.).positions[:, :2])[0]) > len(cols)

def test_labels():
    cm = column_map(np.array([[5.1, 3.1]]), (50, 50), 0.2)
    assert np.unravel_index(cm.argmax(), cm.shape) == (15, 25)
    m = particle_mask(orient(make_cluster("Au", "cuboctahedron", 12.), "110").positions[:, :2] + 5, (50, 50), 0.2)
    assert m[25, 25] == 1 and m[0, 0] == 0

def test_mtf_and_detection():
    np.testing.assert_allclose(mtf(np.array([0., 0.5]), 0.1, 0.5, 2.5), [1., 0.55])
    assert abs(detect(np.ones((64, 64)), 100., 0.2, np.random.default_rng(0)).mean() - 4.) < 0.1
    np.testing.assert_allclose(ctf_image(np.ones((32, 32), np.complex64), 0.1, 300e3, 100., 1e4, 40.), 1., atol=1e-5)
    with pytest.raises(ValueError, match="dose"): detect(np.ones((8, 8)), 0., 0.2, np.random.default_rng(0))

def test_mtf_fit_recovers_parameters():
    rng = np.random.default_rng(3); true = (0.05, 0.6, 2.2)
    vac = np.stack([detect(np.ones((128, 128)), 200., 0.2, rng, true) for _ in range(4)])
    f = fit_mtf(vac)
    assert abs(f["q0"] - 0.6) < 0.05 and abs(f["r"] - 2.2) < 0.4
    with pytest.raises(ValueError): radial_nps(np.zeros((2, 8, 8)))

def test_zone_axis_ratio_synthetic_lattices():
    yy, xx = np.mgrid[:96, :96] * 0.2; m = np.ones((96, 96), bool)
    two = np.cos(2 * np.pi * xx / 2.04) + np.cos(2 * np.pi * yy / 2.04)
    assert zone_axis_ratio(two, m, 0.2) < 1.3
    assert zone_axis_ratio(np.cos(2 * np.pi * xx / 2.04), m, 0.2) == float("inf")
    assert zone_axis_ratio(two, np.zeros((96, 96), bool), 0.2) == float("inf")
    with pytest.raises(ValueError): zone_axis_ratio(two, m[:10], 0.2)

def test_window_starts_cover():
    for n, w, s in [(100, 32, 16), (33, 32, 16), (10, 32, 16)]:
        st = window_starts(n, w, s); cov = np.zeros(n, int)
        for a in st: cov[a:a + w] += 1
        assert (cov > 0).all() and max(st) + min(w, n) == n

def test_metrics():
    assert dice(np.zeros((3, 3)), np.zeros((3, 3))) == 1.
    m = match_points(np.array([[0, 0], [10, 10], [50, 50]]), np.array([[0.5, 0], [10, 11]]), 2.)
    assert (m["tp"], m["fp"], m["fn"]) == (2, 1, 0) and abs(m["f1"] - 0.8) < 1e-9
    ev = count_events([np.array([[0, 0], [5, 5]]), np.array([[0, 0]]), np.array([[0, 0], [9, 9]])], 1.)
    assert ev.tolist() == [[0, 1], [1, 0]]

def test_find_columns_on_label_map():
    cols = np.array([[2., 2.], [4., 2.], [3., 5.]])          # [Å]
    xy = find_columns(column_map(cols, (40, 40), 0.2), 0.2, threshold=0.5)
    assert match_points(xy, cols / 0.2 - 0.5, 1.)["f1"] == 1.

def test_generate_is_seeded():
    kw = dict(out_px=48, sampling=0.2, diameter=(6., 8.), support=(2., 4.))
    a = generate_structures(np.random.default_rng(7), 1, **kw); b = generate_structures(np.random.default_rng(7), 1, **kw)
    np.testing.assert_allclose(a["wave"], b["wave"], atol=1e-4); np.testing.assert_array_equal(a["mask"], b["mask"])
    x, y = make_batch(a, 0, np.random.default_rng(0), ["mask", "colmap_stem"], "stem")
    assert x.shape == (1, 1, 48, 48) and y.shape == (1, 2, 48, 48)
    with pytest.raises(ValueError, match="mode"): make_batch(a, 0, np.random.default_rng(0), mode="sem")

def test_scale_bar_and_resampling():
    img = np.zeros((200, 200), np.uint8); img[180, 10:60] = 255
    assert scale_bar_px(img) == 50
    assert to_sampling(np.zeros((50, 50)), 0.4, 0.2).shape == (100, 100)

def test_cli_skips_bad_files(tmp_path):
    torch.manual_seed(0); save_model(tmp_path / "p.pt", MSDNet(4), sampling=0.2, losses=("bce",), mode="hrtem")
    save_model(tmp_path / "c.pt", MSDNet(4), sampling=0.2, losses=("mse",), mode="hrtem")
    write_tif(tmp_path / "a.tif", np.random.default_rng(0).normal(size=(64, 64)).astype(np.float32), pixel_size=0.02)
    (tmp_path / "bad.tif").write_bytes(b"nope")
    assert main([str(tmp_path / "a.tif"), str(tmp_path / "bad.tif"), "--out", str(tmp_path / "o"), "--model", str(tmp_path / "p.pt")]) == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert len(s["results"]) == 1 and len(s["skipped"]) == 1 and (tmp_path / "o" / "a_labels.tif").exists()
    assert main([str(tmp_path / "a.tif"), "--kind", "columns", "--out", str(tmp_path / "c"), "--model", str(tmp_path / "c.pt")]) == 0
    assert (tmp_path / "c" / "a_columns.csv").read_text().startswith("x_px,y_px,x_A,y_A")
    assert main([str(tmp_path / "a.tif"), "--out", str(tmp_path / "x"), "--model", str(tmp_path / "missing.pt")]) == 2

DG = "degeorge_insitu_vls_nanowire_hrtem"
@pytest.mark.skipif(shared_data(DG) is None, reason=f"../shared/data/{DG} not found")
def test_degeorge_scale_bar():
    from chiral_em.emio import read_image
    from chiral_em.hrtem import degeorge_pixel_size
    f = sorted((shared_data(DG) / "images").glob("*.png"))[0]
    assert 0.2 < degeorge_pixel_size(read_image(f).data) < 0.8     # MANIFEST: 0.3–0.5 Å/px by eye

ZG = "ziatdinov_graphene_stem_atomnet"
@pytest.mark.skipif(shared_data(ZG) is None, reason=f"../shared/data/{ZG} not found")
def test_graphene_reference_coordinates():
    d = shared_data(ZG); ref = np.load(d / "G-Si-2nm-coord.npy", allow_pickle=True).item()[0]
    assert ref.shape[1] == 3 and len(ref) == 140     # MANIFEST: 140 atoms
