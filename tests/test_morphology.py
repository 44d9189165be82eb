"Fast checks of chiral_em.morphology: the `chiral-em morphology` outputs, Bayesian search, SVM classifier."
import json
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from chiral_em.emio import write_tif
from chiral_em.superellipse import ShapeCNN, render_scene, SYNTHESES
from chiral_em.morphology import bayes_search, svm_classifier, main, _sample_space

SUMMARY_FIGURES = ["summary.png", "histograms.png", "dendrogram.png", "parallel_coordinates.png", "pca_pareto.png",
                   "scatter_p_d_ratio.png", "group_montage.png", "population_montage.png"]


@pytest.fixture(scope="module")
def scene_run(tmp_path_factory):
    "Run the CLI once on a synthetic 30-particle scene plus a broken file; return (out folder, summary, rc)."
    d = tmp_path_factory.mktemp("morph")
    img, lab, truth = render_scene(np.random.default_rng(0), SYNTHESES["A"], n=30, field=512)
    write_tif(d / "scene.tif", img.astype(np.float32), pixel_size=0.5)
    (d / "broken.tif").write_bytes(b"this is not a tiff")
    torch.manual_seed(0); torch.save(ShapeCNN().eval().state_dict(), d / "m.pt")
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
    yy, xx = np.mgrid[:200, :260]; lab = np.zeros((200, 260), np.int32)
    for i, (cy, cx) in enumerate(((60, 60), (60, 170), (150, 100)), 1): lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= 625] = i
    img = np.where(lab > 0, 60, 200).astype(np.float32) + np.random.default_rng(0).normal(0, 10, lab.shape).astype(np.float32)
    write_tif(tmp_path / "disks.tif", img, pixel_size=0.5); torch.save(ShapeCNN().state_dict(), tmp_path / "m.pt")
    assert main([str(tmp_path / "disks.tif"), "--out", str(tmp_path / "out"), "--model", str(tmp_path / "m.pt")]) == 0
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["n_particles"] == 3 and s["clusters"] is None and "not clustered" in s["note"] and s["figures"] == []
    assert not (tmp_path / "out" / "groups.csv").exists() and (tmp_path / "out" / "disks_labels.tif").exists()


def test_bayes_search_beats_random_on_quadratic():
    f = lambda q: -((q["x"] - 1.3) ** 2 + (q["y"] + 0.7) ** 2)
    space = dict(x=(-3.0, 3.0), y=(-3.0, 3.0))
    bo = [bayes_search(f, space, n_iter=15, n_init=5, seed=s)["best_score"] for s in range(5)]
    rs = [max(f(q) for q in _sample_space(space, np.random.default_rng(100 + s), 15)) for s in range(5)]
    assert np.mean(bo) > np.mean(rs) and np.mean(bo) > -0.05
    a, b = bayes_search(f, space, 10, 4, seed=3), bayes_search(f, space, 10, 4, seed=3)
    assert a["trace"] == b["trace"] and len(a["trace"]) == 10
    with pytest.raises(ValueError): bayes_search(f, dict(x=(1.0, 0.0)), 5)


def test_svm_bayes_deterministic_and_accurate():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.6, (50, 3)) for c in ((0, 0, 0), (4, 0, 0), (0, 4, 4))]); y = np.repeat([1, 2, 3], 50)
    a = svm_classifier(X, y, n_search=6, seed=2, search="bayes")
    b = svm_classifier(X, y, n_search=6, seed=2, search="bayes")
    assert a["search"] == "bayes" and len(a["trace"]) == 6
    assert a["trace"] == b["trace"] and a["best_params"] == b["best_params"] and a["test_accuracy"] == b["test_accuracy"]
    assert a["test_accuracy"] >= 0.9 and a["cv10_accuracy"] >= 0.9 and a["confusion"].sum() == 30
    assert set(a["best_params"]) == {"C", "gamma", "kernel", "degree"}


def test_refine_never_lowers_the_fit():
    from chiral_em.morphology import analyse_image
    img, lab, truth = render_scene(np.random.default_rng(1), SYNTHESES["C"], n=12, field=256)
    torch.manual_seed(0); net = ShapeCNN(input_kind="mask").eval()
    _, d0, _ = analyse_image(img, net, n_phase=12)
    _, d1, _ = analyse_image(img, net, n_phase=12, refine=True)
    assert len(d0) == len(d1) > 5 and (d1.jaccard.values >= d0.jaccard.values - 1e-9).all() and d1.jaccard.mean() > d0.jaccard.mean()
    assert d1.d.isin(range(1, 7)).all() and d1.p.between(1, 15).all()
