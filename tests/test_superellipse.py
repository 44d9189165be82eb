"Fast checks of chapter 04: simulator, CNN shapes, re-simulation, segmentation, features, metrics, clustering, CLI."
import json
import numpy as np
import pytest
import torch

from chiral_em.core import shared_data
from chiral_em.superellipse import (simulate, superellipse_radius, ShapeCNN, predict, resim_jaccard, split_indices,
                                    render_scene, SYNTHESES, load_model, shape_knn)
from chiral_em.segment import (segment_default, segment_baseline, particle_features, crop_particles, eval_instances,
                               summarize_eval, find_data_bar, to_gray)
from chiral_em.morphology import choose_k, cluster, clustering_ccc, main


def disks(dark=True):
    yy, xx = np.mgrid[:200, :260]; lab = np.zeros((200, 260), np.int32)
    for i, (cy, cx) in enumerate(((60, 60), (60, 170), (150, 100)), 1): lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= 625] = i
    img = np.where(lab > 0, 60, 200).astype(np.float32) + np.random.default_rng(0).normal(0, 10, lab.shape).astype(np.float32)
    return (img if dark else 255 - img), lab


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


def test_resimulation_recovers_true_parameters():
    s = simulate(np.random.default_rng(7), 6)
    j = resim_jaccard(s["masks"], s["params"][:, :3], s["native"], n_phase=72)
    assert j.min() > 0.75


def test_cnn_shapes_and_split():
    p = predict(ShapeCNN(), np.zeros((5, 44, 44), np.uint8))
    assert p.shape == (5, 3)
    tr, va, te = split_indices(1000)
    assert (len(tr), len(va), len(te)) == (700, 100, 200)


def test_seg_masks_follow_the_true_masks():
    s = simulate(np.random.default_rng(4), 400)
    t, g = s["masks"].astype(bool), s["seg_masks"].astype(bool)
    iou = (t & g).sum((1, 2)) / np.maximum((t | g).sum((1, 2)), 1)
    big, small = s["native"] > 30, s["native"] < 8
    assert iou[big].mean() > 0.9                         # a segmentation of a large particle is close to the truth
    assert iou[small].mean() < iou[big].mean()           # small particles are pixelated
    assert (s["seg_masks"] == simulate(np.random.default_rng(4), 400, workers=1)["seg_masks"]).all()


def test_model_files_say_what_they_read(tmp_path):
    m = ShapeCNN(width=4, input_kind="mask"); torch.save(m.state_dict(), tmp_path / "mask.pt")
    old = {k: v for k, v in ShapeCNN().state_dict().items() if k != "kind"}   # a file from before input kinds existed
    torch.save(old, tmp_path / "old.pt"); (tmp_path / "bad.pt").write_bytes(b"not a model")
    mm = load_model(tmp_path / "mask.pt")
    assert mm.input_kind == "mask" and mm[0].out_channels == 4 and load_model(tmp_path / "old.pt").input_kind == "image"
    with pytest.raises(ValueError, match="masks="): predict(mm, np.zeros((2, 44, 44), np.uint8))
    assert predict(mm, None, masks=np.zeros((2, 44, 44), bool)).shape == (2, 3)
    with pytest.raises(ValueError, match="bad.pt"): load_model(tmp_path / "bad.pt")
    with pytest.raises(FileNotFoundError): load_model(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="input_kind"): ShapeCNN(input_kind="rgb")


def test_shape_knn_finds_turned_copies():
    r = simulate(np.random.default_rng(8), 200)
    q = np.rot90(r["masks"][:4], 3, (1, 2))
    mean, best, idx, rot = shape_knn(q, r["masks"], r["params"], k=1)
    assert np.allclose(best, 1) and list(idx) == [0, 1, 2, 3] and np.allclose(mean, r["params"][:4, :3])


@pytest.mark.parametrize("dark", [True, False])
def test_segmentation_polarity_and_dtype(dark):
    img, lab = disks(dark)
    assert segment_default(img).max() == 3
    assert segment_default((to_gray(img) * 65535).astype(np.uint16)).max() == 3
    if dark: assert segment_baseline(img).max() == 3


def test_data_bar_removed():
    img, _ = disks()
    barred = np.vstack([img, np.zeros((30, img.shape[1]), np.float32)]); barred[-20:-10, 20:120] = 255
    assert find_data_bar(barred) == img.shape[0]
    lab = segment_default(barred)
    assert lab.shape == barred.shape and lab[img.shape[0]:].max() == 0 and lab.max() == 3


def test_features_of_disks():
    img, lab = disks()
    df = particle_features(lab, pixel_size=2.0)
    assert len(df) == 3
    assert np.allclose(df.area, np.pi * 625, rtol=0.02) and (df.circularity > 0.9).all()
    assert np.allclose(df.major_axis_nm, 2 * df.major_axis)
    crops, masks, ids, native = crop_particles(img, lab)
    assert crops.shape == (3, 44, 44) and crops[masks].mean() < crops[~masks].mean()


def test_metrics():
    _, lab = disks()
    s = summarize_eval([eval_instances(lab, lab)])
    assert s["f1"] == 1 and s["ks"] == 0 and s["mean_iou"] == 1
    assert summarize_eval([eval_instances(lab, np.zeros_like(lab))])["f1"] == 0


def test_clustering_finds_three_blobs():
    X = np.vstack([np.random.default_rng(0).normal(c, 0.3, (50, 2)) for c in ((0, 0), (4, 0), (0, 4))])
    k, _ = choose_k(X, k_max=6)
    assert k == 3 and clustering_ccc(X, cluster(X, 3)) > 0.8


def test_synthetic_scene_segmentation():
    img, gt, truth = render_scene(np.random.default_rng(0), SYNTHESES["B"], 20, field=320, spacing=1.3)
    s = summarize_eval([eval_instances(gt, segment_default(img))])
    assert s["f1"] > 0.8


def test_cli_skips_bad_files(tmp_path):
    import tifffile
    from chiral_em.emio import write_tif
    img, lab = disks()
    write_tif(tmp_path / "a.tif", img, pixel_size=0.5)
    (tmp_path / "bad.tif").write_bytes(b"junk")
    torch.save(ShapeCNN().state_dict(), tmp_path / "m.pt")
    rc = main([str(tmp_path / "a.tif"), str(tmp_path / "bad.tif"), "--out", str(tmp_path / "out"), "--model", str(tmp_path / "m.pt")])
    assert rc == 0
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["n_particles"] == 3 and len(s["skipped"]) == 1 and "bad.tif" in s["skipped"][0]["path"]
    t = tifffile.imread(tmp_path / "out" / "a_labels.tif")
    assert t.dtype == np.uint16 and t.shape == img.shape and t.max() == 3
    assert main([str(tmp_path / "bad.tif"), "--out", str(tmp_path / "o2"), "--model", str(tmp_path / "m.pt")]) == 1


@pytest.mark.skipif(shared_data("stach_insitu_sintering_bftem") is None, reason="../shared/data/stach_insitu_sintering_bftem not found")
def test_default_beats_baseline_on_a_real_image():
    import imageio.v3 as iio
    from skimage import measure
    root = shared_data("stach_insitu_sintering_bftem")
    img = to_gray(iio.imread(root / "test/images/image_0.png"))
    gt = measure.label(iio.imread(root / "test/labels/label_0.png")[..., 0] > 0, connectivity=2)
    f = lambda lab: summarize_eval([eval_instances(gt, lab)])["f1"]
    assert f(segment_default(img)) >= f(segment_baseline(img))
