"Tests of chapter 01 (chiral_em.siamese): triplets, statistics, model I/O and the `chiral-em embed` command."
import numpy as np
import pytest
import torch
from PIL import Image
from chiral_em.siamese import (make_triplets, split_triplets, wilson, nc_scores, to_input, augment, SiameseNet, embed,
                               save_model, load_model, prepare, main, bowtie_images, triplet_saliency)

def test_triplets():
    y = np.r_[np.zeros(5, int), np.ones(4, int)]
    t = make_triplets(y, 100, np.random.default_rng(0))
    assert (y[t[:, 0]] == y[t[:, 1]]).all() and (y[t[:, 0]] != y[t[:, 2]]).all() and (t[:, 0] != t[:, 1]).all()
    assert len({tuple(r) for r in t}) == 100
    tr, va = split_triplets(np.zeros((11888, 3)))
    assert (len(tr), len(va)) == (10112, 1776)
    with pytest.raises(ValueError, match="two classes"): make_triplets(np.zeros(4, int), 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="distinct"): make_triplets(y, 10**6, np.random.default_rng(0))

def test_wilson_and_nc():
    lo, hi = wilson(17, 18)
    assert 0.7 < lo < 17/18 < hi <= 1
    s = nc_scores(np.array([[0.], [1], [10], [11]]), np.array([0, 0, 1, 1]), np.array([[2.], [9], [4]]), np.array([0, 1, 1]))
    assert s["accuracy"] == pytest.approx(2/3) and s["precision"] == 1.0

def test_augment_and_input():
    x = to_input(np.random.default_rng(0).integers(0, 255, (3, 24, 24)).astype(np.uint8))
    assert x.shape == (3, 1, 24, 24) and abs(float(x.mean())) < 1e-4
    a = augment(x, torch.Generator().manual_seed(3), flips=False)
    b = augment(x, torch.Generator().manual_seed(3), flips=False)
    assert torch.allclose(a, b) and a.shape == x.shape

def test_prepare_errors():
    assert prepare(np.random.default_rng(0).random((40, 60)), 16).shape == (16, 16)
    with pytest.raises(ValueError, match="2-D"): prepare(np.zeros((4, 4, 3)), 16)
    a = np.ones((20, 20)); a[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"): prepare(a, 16)

def test_bowtie_images_labels():
    d = bowtie_images(np.random.default_rng(1), 4, size=24, render=48)
    assert d["image"].dtype == np.uint8 and ((d["hand"] != 0) == (d["label"] == 1)).all()
    d2 = bowtie_images(np.random.default_rng(1), 4, size=24, render=48)
    assert np.array_equal(d["image"], d2["image"])

@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    torch.manual_seed(0)
    m = SiameseNet("tinynet_e", emb=8, hidden=16)
    path = tmp_path_factory.mktemp("m")/"m.pt"
    save_model(path, m, np.random.default_rng(0).normal(size=(2, 8)), ("none", "bowtie"), size=32)
    return m, path

def test_model_roundtrip(tiny_model):
    m, path = tiny_model
    x = np.random.default_rng(0).integers(0, 255, (3, 32, 32)).astype(np.uint8)
    m2, ck = load_model(path)
    assert np.allclose(embed(m, x), embed(m2, x), atol=1e-5) and ck["size"] == 32
    assert triplet_saliency(m2, x).shape == (3, 32, 32)

def test_cli(tiny_model, tmp_path, capsys):
    _, path = tiny_model
    for i in range(2): Image.fromarray(np.random.default_rng(i).integers(0, 255, (50, 70)).astype(np.uint8)).save(tmp_path/f"a{i}.png")
    (tmp_path/"bad.tif").write_bytes(b"no tiff")
    assert main([str(tmp_path), "--model", str(path), "--out", str(tmp_path/"out")]) == 0
    err = capsys.readouterr().err
    assert "bad.tif" in err
    assert np.load(tmp_path/"out"/"embeddings.npy").shape == (2, 8)
    lines = (tmp_path/"out"/"labels.csv").read_text().splitlines()
    assert lines[0].startswith("path,label") and len(lines) == 3
    assert main([str(tmp_path/"a0.png"), "--model", str(tmp_path/"nope.pt"), "--out", str(tmp_path/"o")]) == 1
    with pytest.raises(SystemExit): main([])
