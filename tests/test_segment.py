"Tests for chiral_em.segment (classical and network segmentation, `chiral-em segment`) and chiral_em.measure."
import json
import numpy as np
import pytest
import torch

from chiral_em.core import shared_data
from chiral_em.segment import (segment_default, segment_baseline, find_data_bar, to_gray, to_sampling, find_columns,
                               main, default_model_name)
from chiral_em.measure import (particle_features, crop_particles, eval_instances, summarize_eval, dice, match_points,
                               count_events, wilson, nc_scores)


def disks(dark=True):
    yy, xx = np.mgrid[:200, :260]
    lab = np.zeros((200, 260), np.int32)
    for i, (cy, cx) in enumerate(((60, 60), (60, 170), (150, 100)), 1): lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= 625] = i
    img = np.where(lab > 0, 60, 200).astype(np.float32)
    img = img + np.random.default_rng(0).normal(0, 10, lab.shape).astype(np.float32)
    return (img if dark else 255 - img), lab


@pytest.mark.parametrize("dark", [True, False])
def test_segmentation_polarity_and_dtype(dark):
    img, lab = disks(dark)
    assert segment_default(img).max() == 3
    assert segment_default((to_gray(img) * 65535).astype(np.uint16)).max() == 3
    if dark: assert segment_baseline(img).max() == 3


def test_data_bar_removed():
    img, _ = disks()
    barred = np.vstack([img, np.zeros((30, img.shape[1]), np.float32)])
    barred[-20:-10, 20:120] = 255
    assert find_data_bar(barred) == img.shape[0]
    lab = segment_default(barred)
    assert lab.shape == barred.shape and lab[img.shape[0]:].max() == 0 and lab.max() == 3


def test_features_of_disks():
    img, lab = disks()
    df = particle_features(lab, pixel_size_nm=2.0)
    assert len(df) == 3
    assert np.allclose(df.area, np.pi * 625, rtol=0.02) and (df.circularity > 0.9).all()
    assert np.allclose(df.major_axis_nm, 2 * df.major_axis)
    crops, masks, ids, native = crop_particles(img, lab)
    assert crops.shape == (3, 44, 44) and crops[masks].mean() < crops[~masks].mean()


def test_instance_metrics():
    _, lab = disks()
    s = summarize_eval([eval_instances(lab, lab)])
    assert s["f1"] == 1 and s["ks"] == 0 and s["mean_iou"] == 1
    assert summarize_eval([eval_instances(lab, np.zeros_like(lab))])["f1"] == 0


def test_synthetic_scene_segmentation():
    from chiral_em.sim.superellipse import render_scene, SYNTHESES
    img, gt, truth = render_scene(np.random.default_rng(0), SYNTHESES["B"], 20, field=320, spacing=1.3)
    assert summarize_eval([eval_instances(gt, segment_default(img))])["f1"] > 0.8


def test_point_metrics():
    assert dice(np.zeros((3, 3)), np.zeros((3, 3))) == 1.
    m = match_points(np.array([[0, 0], [10, 10], [50, 50]]), np.array([[0.5, 0], [10, 11]]), 2.)
    assert (m["tp"], m["fp"], m["fn"]) == (2, 1, 0) and abs(m["f1"] - 0.8) < 1e-9
    ev = count_events([np.array([[0, 0], [5, 5]]), np.array([[0, 0]]), np.array([[0, 0], [9, 9]])], 1.)
    assert ev.tolist() == [[0, 1], [1, 0]]


def test_find_columns_on_label_map():
    from chiral_em.sim.hrtem import column_map
    cols = np.array([[2., 2.], [4., 2.], [3., 5.]])          # [Å]
    xy = find_columns(column_map(cols, (40, 40), 0.2), 0.2, threshold=0.5)
    assert match_points(xy, cols / 0.2 - 0.5, 1.)["f1"] == 1.


def test_wilson_and_nc():
    lo, hi = wilson(17, 18)
    assert 0.7 < lo < 17/18 < hi <= 1
    s = nc_scores(np.array([[0.], [1], [10], [11]]), np.array([0, 0, 1, 1]), np.array([[2.], [9], [4]]),
                  np.array([0, 1, 1]))
    assert s["accuracy"] == pytest.approx(2/3) and s["precision"] == 1.0


def test_resampling():
    assert to_sampling(np.zeros((50, 50)), 0.4, 0.2).shape == (100, 100)
    with pytest.raises(ValueError): to_sampling(np.zeros((5, 5)), -1., 0.2)


META = dict(input_kind="hrtem", sampling=0.2, profile="test", data_version=None, seed=0, example_input=[1, 1, 64, 64])


def test_cli_skips_bad_files(tmp_path):
    from chiral_em.nets import MSDNet
    from chiral_em.models import save_model
    from chiral_em.emio import write_tif
    torch.manual_seed(0)
    save_model(tmp_path / "p.pt", MSDNet(4), dict(META, losses=["bce"], mode="hrtem"))
    save_model(tmp_path / "c.pt", MSDNet(4), dict(META, losses=["mse"], mode="hrtem"))
    write_tif(tmp_path / "a.tif", np.random.default_rng(0).normal(size=(64, 64)).astype(np.float32), pixel_size=0.02)
    (tmp_path / "bad.tif").write_bytes(b"nope")
    out = str(tmp_path / "o")
    assert main([str(tmp_path / "a.tif"), str(tmp_path / "bad.tif"), "--out", out, "--model", str(tmp_path / "p.pt")]) == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert len(s["results"]) == 1 and len(s["skipped"]) == 1 and (tmp_path / "o" / "a_labels.tif").exists()
    assert s["results"][0]["sampling"] == pytest.approx(0.2)              # 0.02 nm/px in the file = 0.2 Å/px
    c = str(tmp_path / "c")
    assert main([str(tmp_path / "a.tif"), "--kind", "columns", "--out", c, "--model", str(tmp_path / "c.pt")]) == 0
    assert (tmp_path / "c" / "a_columns.csv").read_text().startswith("x_px,y_px,x_A,y_A")
    # --pixel-size is [nm/px] and overrides the file
    d = str(tmp_path / "d")
    assert main([str(tmp_path / "a.tif"), "--out", d, "--model", str(tmp_path / "p.pt"), "--pixel-size", "0.04"]) == 0
    assert json.loads((tmp_path / "d" / "summary.json").read_text())["results"][0]["sampling"] == pytest.approx(0.4)
    assert main([str(tmp_path / "a.tif"), "--out", str(tmp_path / "x"), "--model", str(tmp_path / "missing.pt")]) == 2


def test_cli_names_a_missing_default_model(tmp_path, monkeypatch, capsys):
    from chiral_em import models
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(tmp_path))
    monkeypatch.setattr(models, "weights_dir", lambda: tmp_path / "none")
    assert main([str(tmp_path / "a.tif"), "--kind", "columns", "--mode", "stem", "--out", str(tmp_path / "o")]) == 2
    assert "columns_stem_msd" in capsys.readouterr().err
    assert default_model_name("particles", "stem") == "particles_haadf"
    with pytest.raises(ValueError): default_model_name("atoms")


@pytest.mark.skipif(shared_data("stach_insitu_sintering_bftem") is None,
                    reason="../shared/data/stach_insitu_sintering_bftem not found")
def test_default_beats_baseline_on_a_real_image():
    import imageio.v3 as iio
    from skimage import measure
    root = shared_data("stach_insitu_sintering_bftem")
    img = to_gray(iio.imread(root / "test/images/image_0.png"))
    gt = measure.label(iio.imread(root / "test/labels/label_0.png")[..., 0] > 0, connectivity=2)
    f = lambda lab: summarize_eval([eval_instances(gt, lab)])["f1"]
    assert f(segment_default(img)) >= f(segment_baseline(img))


def test_segment_refuses_a_micrograph_far_outside_the_networks_sampling(tmp_path):
    "A 1024² TEM frame at 2.59 nm/px would be resampled 130× to 0.2 Å/px (~65 GiB): skipped with the reason instead."
    import json
    from chiral_em.emio import write_tif
    from chiral_em.segment import main
    img = (np.random.default_rng(0).random((1024, 1024))*255).astype(np.float32)
    write_tif(tmp_path/"liquid_cell.tif", img, pixel_size=2.59)
    assert main([str(tmp_path/"liquid_cell.tif"), "--out", str(tmp_path/"out")]) == 1
    s = json.loads((tmp_path/"out"/"summary.json").read_text())
    assert not s["results"] and "the network was trained at" in s["skipped"][0]["reason"].lower()


@pytest.mark.skipif(shared_data("degeorge_insitu_vls_nanowire_hrtem") is None,
                    reason="../shared/data/degeorge_insitu_vls_nanowire_hrtem not found")
def test_crystalline_gate_drops_the_liquid_droplet(tmp_path):
    "`--crystalline` keeps the particle mask where lattice fringes are: an in-situ frame's liquid droplet drops out."
    from chiral_em.datasets import load
    from chiral_em.emio import write_tif, read_image
    s = next(iter(load("degeorge_insitu_vls_nanowire_hrtem", limit=1)))   # chapter 05's first calibration frame
    img, gt = (a[: int(a.shape[0] * 0.85)][179:691, 256:768] for a in (s.image.data, s.mask))   # its central 512² crop
    assert (gt == 1).mean() > 0.05 and (gt == 2).mean() > 0.05
    write_tif(tmp_path / "frame.tif", img.astype(np.float32), pixel_size=s.meta["sampling"] / 10)
    called = {}
    for flag in ([], ["--crystalline"]):
        out = tmp_path / ("gated" if flag else "plain")
        assert main([str(tmp_path / "frame.tif"), "--out", str(out), *flag]) == 0
        lab = read_image(out / "frame_labels.tif").data > 0
        called[bool(flag)] = (lab[gt == 2].mean(), lab[gt == 1].mean())
    assert called[True][0] < 0.2 < called[False][0], called          # droplet pixels called particle
    assert called[True][1] > 0.1, called                              # the wire is still found
