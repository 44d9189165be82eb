"Tests of the MoS₂ focal-series engine (chiral_em.sim.mos2) and the species tool (chiral_em.species)."
import json
import numpy as np, pytest, torch
from chiral_em.sim.mos2 import (label_map, simulate_item, draw_series, render_series, vacancy_movie, s_vacancies,
                                mos2_sites, MOS2, _finish)
from chiral_em.species import find_columns, match_columns, column_f1, analyse_series, main
from chiral_em.nets import UNet

def test_labels_exact_tiny():
    "Hand-computed pixels: a pixel belongs to a column when its centre (j+½)·s is within the radius."
    lab = label_map([[1.0, 1.0], [3.1, 1.0]], [1, 3], (8, 24), 0.2, radius=0.15)
    assert np.argwhere(lab == 1).tolist() == [[4, 4], [4, 5], [5, 4], [5, 5]]
    assert np.argwhere(lab == 3).tolist() == [[4, 15], [5, 15]]
    assert (lab > 0).sum() == 6

def test_item_labels_match_columns():
    "Every labelled column of a simulated item is a disk of its class at its position; a perfect map scores F1 = 1."
    it = simulate_item(3, 0, out_px=48, ranges=dict(p_mono=(0.2, 0.2), p_di=(0.1, 0.1)))
    for (x, y), c in zip(it["xy"], it["cls"]):
        j, i = int(x / 0.2), int(y / 0.2)
        assert it["labels"][i, j] == c
    assert set(np.unique(it["labels"])) <= {0, 1, 2, 3, 4} and {3, 4} & set(it["cls"].tolist())
    xy, sp = find_columns(np.eye(5, dtype=np.float32)[it["labels"]].transpose(2, 0, 1), 0.2)
    C = match_columns(it["xy"], it["cls"], xy, sp, 0.9, extent=9.6, border=1.)
    assert C[4].sum() == 0 and C[:4, 4].sum() == 0 and np.trace(C) == C.sum()

def test_single_atom_registration():
    "A single Mo atom images (bright, middle defocus) at the centre of its labelled pixels."
    one = dict(xy=np.array([[6.1, 6.5]]), cls=np.array([1], np.uint8), site=np.zeros(1, np.uint8),
               top=np.ones(1, bool), rotation=0., offset=np.zeros(2), extent=12.8)
    from chiral_em.sim.mos2 import series_intensity
    f = _finish(one, 32, 0.2, 16)
    img = series_intensity(f["wave"], 0.2, draw_series(np.random.default_rng(0), 100., nominal=True), 16)[1]
    assert np.unravel_index(img.argmax(), img.shape) == tuple(np.argwhere(f["labels"] == 1).mean(0).round().astype(int))

def test_seed_determinism_bytes():
    a, b = simulate_item(11, 2, out_px=32), simulate_item(11, 2, out_px=32)
    assert a["wave"].tobytes() == b["wave"].tobytes() and a["labels"].tobytes() == b["labels"].tobytes()
    c1 = draw_series(np.random.default_rng([1, 2]))
    x1 = render_series(a["wave"], 0.2, c1, np.random.default_rng([1, 2]))
    x2 = render_series(b["wave"], 0.2, draw_series(np.random.default_rng([1, 2])), np.random.default_rng([1, 2]))
    assert x1.tobytes() == x2.tobytes()
    m1, m2 = vacancy_movie(5, 3, out_px=32), vacancy_movie(5, 3, out_px=32)
    assert m1["labels"].tobytes() == m2["labels"].tobytes() and m1["n_vac"].tolist() == m2["n_vac"].tolist()
    assert simulate_item(11, 3, out_px=32)["labels"].tobytes() != a["labels"].tobytes()

def test_lattice():
    mo, s = mos2_sites(25., 33., (1., 2.))
    from scipy.spatial import cKDTree
    assert abs(np.median(cKDTree(s).query(mo)[0]) - MOS2["a"] / np.sqrt(3)) < 1e-6

def test_input_validation(tmp_path):
    with pytest.raises(ValueError): label_map([[1, 1]], [1, 2], (8, 8), 0.2)
    with pytest.raises(ValueError): simulate_item(0, 0, out_px=4)
    with pytest.raises(ValueError): draw_series(np.random.default_rng(0), dose=0.)
    with pytest.raises(ValueError): vacancy_movie(0, 0)
    with pytest.raises(ValueError): match_columns([[0, 0]], [1], [[0, 0]], [1], radius=0)
    assert s_vacancies([3, 4, 2, 1]) == 3
    net = UNet(3, 5, base=4, levels=2)
    meta = dict(sampling=0.2)
    with pytest.raises(ValueError, match="pixel size missing"): analyse_series(np.ones((3, 16, 16)), None, net, meta)
    with pytest.raises(ValueError, match="3 frames"):
        analyse_series(np.random.default_rng(0).normal(size=(2, 16, 16)), 0.2, net, meta)
    with pytest.raises(ValueError, match="constant"): analyse_series(np.ones((3, 16, 16)), 0.2, net, meta)

def test_cli_missing_pixel_size(tmp_path, capsys):
    import tifffile
    from chiral_em.models import save_model
    net = UNet(3, 5, base=4, levels=2)
    save_model(tmp_path / "m.pt", net, dict(input_kind="mos2_focal_series", sampling=0.2, pixel_size_nm=0.02,
                                            profile="test", data_version="1", seed=0, example_input=[1, 3, 16, 16]))
    tifffile.imwrite(tmp_path / "s.tif", np.random.default_rng(1).normal(size=(3, 24, 24)).astype(np.float32),
                     photometric="minisblack")
    args = [str(tmp_path / "s.tif"), "--out", str(tmp_path / "o"), "--model", str(tmp_path / "m.pt")]
    assert main(args) == 1
    assert "pixel size missing" in capsys.readouterr().err
    assert main(args[:1] + ["--out", str(tmp_path / "o2"), "--model", str(tmp_path / "m.pt"),
                            "--pixel-size", "0.02"]) == 0
    res = json.loads((tmp_path / "o2" / "vacancies.json").read_text())
    assert res["results"][0]["columns"] == len((tmp_path / "o2" / "s_columns.csv").read_text().splitlines()) - 1
