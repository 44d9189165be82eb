"Chapter 04's command: `chiral-em morphology` (module `morphology`) end to end, on files, with the shipped network."
import json
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from chiral_em import models
from chiral_em.emio import write_tif
from chiral_em.shape import ShapeCNN
from chiral_em.sim.superellipse import render_scene, SYNTHESES
from chiral_em.morphology import main, analyse_image, run_morphology

SUMMARY_FIGURES = ["summary.png", "histograms.png", "dendrogram.png", "parallel_coordinates.png", "pca_pareto.png",
                   "scatter_p_d_ratio.png", "group_montage.png", "population_montage.png"]
META = dict(sampling=None, pixel_size_nm=None, profile="test", data_version=None, seed=0, example_input=[1, 1, 44, 44])


def save_net(path, net):
    "An untrained ShapeCNN as a model file (keeps the tests fast; chapter 04 runs the command with trained ones)."
    return models.save_model(path, net.eval(), dict(META, input_kind=net.input_kind))


def disks():
    yy, xx = np.mgrid[:200, :260]
    lab = np.zeros((200, 260), np.int32)
    for i, (cy, cx) in enumerate(((60, 60), (60, 170), (150, 100)), 1): lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= 625] = i
    return np.where(lab > 0, 60, 200).astype(np.float32) + np.random.default_rng(0).normal(0, 10, lab.shape).astype(np.float32)


@pytest.fixture(scope="module")
def scene_run(tmp_path_factory):
    "Run the CLI once on a synthetic 30-particle scene plus a broken file; return (out folder, summary, rc)."
    import torch
    d = tmp_path_factory.mktemp("morph")
    img, lab, truth = render_scene(np.random.default_rng(0), SYNTHESES["A"], n=30, field=512)
    write_tif(d / "scene.tif", img.astype(np.float32), pixel_size=0.5)
    (d / "broken.tif").write_bytes(b"this is not a tiff")
    torch.manual_seed(0)
    save_net(d / "m.pt", ShapeCNN())
    rc = main([str(d / "scene.tif"), str(d / "broken.tif"), "--out", str(d / "out"), "--model", str(d / "m.pt")])
    return d / "out", json.loads((d / "out" / "summary.json").read_text()), rc


def test_cli_writes_every_figure(scene_run):
    out, s, rc = scene_run
    assert rc == 0 and s["n_images"] == 1 and s["clusters"] is not None and s["clusters"] >= 2
    per_group = [f"group_{k}_montage.png" for k in range(1, s["clusters"] + 1)]
    expected = SUMMARY_FIGURES + per_group + ["scene_overlay.png"]
    assert sorted(s["figures"]) == sorted(expected)
    for name in expected + ["groups.csv", "particles.csv", "scene_particles.csv", "scene_labels.tif"]:
        f = out / name
        assert f.exists() and f.stat().st_size > 0, name
        if name.endswith(".png"): assert f.read_bytes()[:4] == b"\x89PNG", name
    assert not [f.name for f in out.iterdir() if f.name.startswith(".")]          # no temp files left behind
    assert plt.get_fignums() == []                                                 # every figure closed


def test_cli_skips_and_reports_bad_file(scene_run):
    _, s, _ = scene_run
    assert len(s["skipped"]) == 1 and s["skipped"][0]["path"].endswith("broken.tif") and s["skipped"][0]["reason"]


def test_cli_few_particles_no_clustering(tmp_path):
    import tifffile
    img = disks()
    write_tif(tmp_path / "disks.tif", img, pixel_size=0.5)
    save_net(tmp_path / "m.pt", ShapeCNN())
    assert main([str(tmp_path / "disks.tif"), "--out", str(tmp_path / "out"), "--model", str(tmp_path / "m.pt")]) == 0
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["n_particles"] == 3 and s["clusters"] is None and "not clustered" in s["note"] and s["figures"] == []
    assert not (tmp_path / "out" / "groups.csv").exists()
    t = tifffile.imread(tmp_path / "out" / "disks_labels.tif")
    assert t.dtype == np.uint16 and t.shape == img.shape and t.max() == 3


def test_cli_errors(tmp_path):
    write_tif(tmp_path / "a.tif", disks(), pixel_size=0.5)
    (tmp_path / "bad.tif").write_bytes(b"junk")
    save_net(tmp_path / "m.pt", ShapeCNN())
    assert main([str(tmp_path / "bad.tif"), "--out", str(tmp_path / "o1"), "--model", str(tmp_path / "m.pt")]) == 1
    assert main([str(tmp_path / "a.tif"), "--out", str(tmp_path / "o2"), "--model", str(tmp_path / "m.pt"),
                 "--clusters", "x"]) == 2
    assert main([str(tmp_path / "a.tif"), "--out", str(tmp_path / "o3"), "--model", str(tmp_path / "none.pt")]) == 2
    (tmp_path / "old.pt").write_bytes(b"not a model file")
    assert main([str(tmp_path / "a.tif"), "--out", str(tmp_path / "o4"), "--model", str(tmp_path / "old.pt")]) == 2
    with pytest.raises(SystemExit): main([str(tmp_path / "a.tif")])                 # --out is required


def test_cli_pixel_size_from_file_and_flag(tmp_path):
    import pandas as pd
    write_tif(tmp_path / "a.tif", disks(), pixel_size=0.5)
    save_net(tmp_path / "m.pt", ShapeCNN())
    for px, out in ((None, "o1"), ("2.0", "o2")):
        main([str(tmp_path / "a.tif"), "--out", str(tmp_path / out), "--model", str(tmp_path / "m.pt")]
             + (["--pixel-size", px] if px else []))
    a, b = (pd.read_csv(tmp_path / o / "a_particles.csv") for o in ("o1", "o2"))
    assert np.allclose(a.area_nm2, a.area * 0.25) and np.allclose(b.area_nm2, b.area * 4.0)
    assert (a.pixel_size_nm == 0.5).all() and (b.pixel_size_nm == 2.0).all()


def test_default_network_is_the_shipped_mask_cnn(tmp_path):
    "Without --model the command loads the packaged `shape_mask_cnn` (chapter 04, cpu profile) and never trains."
    net, meta = models.load_model(models.find_model("shape_mask_cnn"))
    assert isinstance(net, ShapeCNN) and net.input_kind == "mask" == meta["input_kind"]
    write_tif(tmp_path / "a.tif", disks(), pixel_size=0.5)
    s = run_morphology([tmp_path / "a.tif"], tmp_path / "out", verbose=False)
    assert s["n_particles"] == 3


def test_refine_never_lowers_the_fit():
    import torch
    img, lab, truth = render_scene(np.random.default_rng(1), SYNTHESES["C"], n=12, field=256)
    torch.manual_seed(0)
    net = ShapeCNN(input_kind="mask").eval()
    _, d0, _ = analyse_image(img, net, n_phase=12)
    _, d1, _ = analyse_image(img, net, n_phase=12, refine=True)
    assert len(d0) == len(d1) > 5 and (d1.jaccard.values >= d0.jaccard.values - 1e-9).all()
    assert d1.jaccard.mean() > d0.jaccard.mean()
    assert d1.d.isin(range(1, 7)).all() and d1.p.between(1, 15).all()
