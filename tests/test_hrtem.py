"Chapter 05 (paper 003) as a whole: Fourier tools on simulated data, `chiral-em segment` on files, the shipped networks."
import json, sys, subprocess
from pathlib import Path
import numpy as np, pytest, torch
from chiral_em import models
from chiral_em.sim.optics import detect
from chiral_em.sim.hrtem import generate_structures, make_batch
from chiral_em.fourier import fit_mtf, zone_axis_ratio, window_starts, radial_nps
from chiral_em.nets import MSDNet
from chiral_em.segment import main
from chiral_em.emio import write_tif, angstrom_to_nm

ROOT = Path(__file__).resolve().parents[1]
META = dict(input_kind="hrtem", sampling=0.2, profile="test", data_version=None, seed=0, example_input=[1, 1, 64, 64])


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


@pytest.fixture(scope="module")
def sim_files(tmp_path_factory):
    "Two simulated HRTEM images written as TIFFs with their pixel size [nm/px], as chapter 05's CLI section does."
    d = tmp_path_factory.mktemp("hrtem")
    ds = generate_structures(np.random.default_rng(7), 1, out_px=48, sampling=0.2, diameter=(6., 8.), support=(2., 4.))
    for i in range(2):
        x, _ = make_batch(ds, 0, np.random.default_rng(i), "mask", sampling=0.2, dose=300., aug=False)
        write_tif(d / f"sim_{i}.tif", x[0, 0], pixel_size=angstrom_to_nm(0.2))
    (d / "broken.tif").write_bytes(b"not a tiff")
    torch.manual_seed(0)
    models.save_model(d / "p.pt", MSDNet(4), dict(META, losses=["bce"], mode="hrtem", threshold=0.5))
    models.save_model(d / "s.pt", MSDNet(4, nout=2), dict(META, input_kind="stem", losses=["bce", "mse"], mode="stem"))
    return d


def test_segment_particles_and_stem_columns_on_files(sim_files):
    d = sim_files
    assert main([str(d / "sim_0.tif"), str(d / "sim_1.tif"), str(d / "broken.tif"), "--out", str(d / "o"),
                 "--model", str(d / "p.pt")]) == 0
    s = json.loads((d / "o" / "summary.json").read_text())
    assert len(s["results"]) == 2 and len(s["skipped"]) == 1 and abs(s["results"][0]["sampling"] - 0.2) < 1e-9
    assert (d / "o" / "sim_0_labels.tif").exists() and (d / "o" / "sim_0_particles.csv").exists()
    assert main([str(d / "sim_0.tif"), "--kind", "columns", "--mode", "stem", "--out", str(d / "c"),
                 "--model", str(d / "s.pt")]) == 0
    assert (d / "c" / "sim_0_columns.csv").read_text().startswith("x_px,y_px,x_A,y_A")


def test_windowed_benchmark_in_a_fresh_process(sim_files, tmp_path):
    "bench/bench_hrtem.py's `windowed` mode, which chapter 05 runs for its large-field timing."
    np.save(tmp_path / "img.npy", np.random.default_rng(0).normal(size=(96, 96)).astype(np.float32))
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_hrtem.py"), "windowed", str(tmp_path / "img.npy"),
                        str(sim_files / "p.pt"), "32", "8", "0.5"], capture_output=True, text=True, check=True)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["size"] == [96, 96] and out["seconds"] > 0 and 0 < out["peak_rss_gb"] < 8
    assert np.load(tmp_path / "img_prob.npy").shape == (96, 96)


@pytest.mark.parametrize("name, kind, nout", [("particles_msd", "hrtem", 1), ("columns_hrtem", "hrtem", 1),
                                              ("columns_stem_msd", "stem", 2)])
def test_shipped_networks(name, kind, nout):
    "Chapter 05's cpu profile ships the three networks of `chiral-em segment` with their sampling."
    if name not in models.packaged_models(): pytest.skip(f"{name} not shipped yet: run chapter 05 in cpu")
    net, meta = models.load_model(models.find_model(name))
    assert meta["input_kind"] == kind and meta["sampling"] == 0.2 and len(meta["losses"]) == nout
    with torch.no_grad(): assert net(torch.zeros(meta["example_input"])).shape[1] == nout


def test_shipped_haadf_catalyst_network():
    "Chapter 05 ships the scale-free HAADF catalyst network of `chiral-em segment --kind particles --mode stem`."
    if "particles_haadf" not in models.packaged_models(): pytest.skip("particles_haadf not shipped yet: run chapter 05")
    net, meta = models.load_model(models.find_model("particles_haadf"))
    assert meta["input_kind"] == "haadf" and meta["sampling"] is None and len(meta["losses"]) == 2
    assert (0 < meta["threshold"] < 1 if meta.get("otsu_factor") is None else meta["otsu_factor"] > 0) and meta["h"] > 0
    with torch.no_grad(): assert net(torch.zeros(meta["example_input"])).shape[1] == 2


def test_shipped_dense_catalyst_network(tmp_path):
    "Chapter 05 ships the dense-support HAADF network; `--support dense` runs it on a file and writes its particles."
    if "particles_haadf_dense" not in models.packaged_models():
        pytest.skip("particles_haadf_dense not shipped yet: run chapter 05")
    from chiral_em.catalyst import main, catalyst_batch
    from chiral_em.emio import write_tif
    from chiral_em.sim.catalyst import DENSE_SUPPORT
    net, meta = models.load_model(models.find_model("particles_haadf_dense"))
    assert meta["input_kind"] == "haadf" and meta["ranges"] == {k: list(v) for k, v in DENSE_SUPPORT.items()}
    assert meta["h"] > 0 and (meta.get("otsu_factor") or meta.get("threshold"))
    x, _ = catalyst_batch(np.random.default_rng(3), 1, 192, **DENSE_SUPPORT)
    write_tif(tmp_path / "dense.tif", np.asarray(x[0, 0], np.float32))
    assert main([str(tmp_path / "dense.tif"), "--kind", "particles", "--mode", "stem", "--support", "dense",
                 "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "dense_particles.csv").exists()


def test_shipped_zone_axis_network():
    "Chapter 05 ships the learned zone-axis score; the particle network names it when it was chosen on validation."
    if "zone_axis_spectrum" not in models.packaged_models(): pytest.skip("zone_axis_spectrum not shipped yet: run chapter 05")
    from chiral_em.fourier import zone_axis_score
    net, meta = models.load_model(models.find_model("zone_axis_spectrum"))
    assert meta["input_kind"] == "power_spectrum" and meta["field"] == 51.2 and 0 < meta["p_thr"] < 1
    p = zone_axis_score(net, np.zeros(meta["example_input"][2:], np.float32))
    assert p.shape == (1,) and 0 <= p[0] <= 1
    _, pmeta = models.load_model(models.find_model("particles_msd"))
    assert pmeta.get("zone_axis_method") in ("learned", "ratio")
