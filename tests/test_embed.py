"Tests for chiral_em.embed: triplets, network input, model files and the `chiral-em embed` command."
import numpy as np
import pytest
import torch
from PIL import Image

from chiral_em.embed import (make_triplets, split_triplets, to_input, augment, SiameseNet, embed, prepare, main,
                             triplet_saliency, classify, unknown_threshold, intensity_stats, load_init_weights,
                             train_siamese)


def test_triplets():
    y = np.r_[np.zeros(5, int), np.ones(4, int)]
    t = make_triplets(y, 100, np.random.default_rng(0))
    assert (y[t[:, 0]] == y[t[:, 1]]).all() and (y[t[:, 0]] != y[t[:, 2]]).all() and (t[:, 0] != t[:, 1]).all()
    assert len({tuple(r) for r in t}) == 100
    tr, va = split_triplets(np.zeros((11888, 3)))
    assert (len(tr), len(va)) == (10112, 1776)
    with pytest.raises(ValueError, match="two classes"): make_triplets(np.zeros(4, int), 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="distinct"): make_triplets(y, 10**6, np.random.default_rng(0))


def test_augment_and_input():
    x = to_input(np.random.default_rng(0).integers(0, 255, (3, 24, 24)).astype(np.uint8))
    assert x.shape == (3, 1, 24, 24) and abs(float(x.mean())) < 1e-4
    a = augment(x, torch.Generator().manual_seed(3), flips=False)
    b = augment(x, torch.Generator().manual_seed(3), flips=False)
    assert torch.allclose(a, b) and a.shape == x.shape


def test_prepare_errors():
    assert prepare(np.random.default_rng(0).random((40, 60)), 16).shape == (16, 16)
    with pytest.raises(ValueError, match="2-D"): prepare(np.zeros((3, 20, 20)), 16)
    a = np.ones((20, 20))
    a[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"): prepare(a, 16)
    labels, d = classify(np.array([[0., 1.]]), np.array([[0., 0.], [0., 2.]]), ["none", "bowtie"])
    assert d.shape == (1, 2) and labels[0] in ("none", "bowtie")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from chiral_em.models import save_model
    torch.manual_seed(0)
    m = SiameseNet("tinynet_e", emb=8, hidden=16)
    path = tmp_path_factory.mktemp("m")/"m.pt"
    save_model(path, m, dict(input_kind="image", sampling=None, profile="test", data_version=None, seed=0,
                             example_input=[1, 1, 32, 32], size=32, classes=["none", "bowtie"],
                             centroids=np.random.default_rng(0).normal(size=(2, 8))))
    return m, path


def test_model_roundtrip(tiny_model):
    from chiral_em.models import load_model
    m, path = tiny_model
    x = np.random.default_rng(0).integers(0, 255, (3, 32, 32)).astype(np.uint8)
    m2, meta = load_model(path)
    assert np.allclose(embed(m, x), embed(m2, x), atol=1e-5) and meta["size"] == 32
    assert m2.init_kwargs == dict(backbone="tinynet_e", emb=8, hidden=16)
    assert triplet_saliency(m2, x).shape == (3, 32, 32)


def test_cli(tiny_model, tmp_path, capsys, monkeypatch):
    _, path = tiny_model
    for i in range(2):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (50, 70)).astype(np.uint8)).save(tmp_path/f"a{i}.png")
    (tmp_path/"bad.tif").write_bytes(b"no tiff")
    assert main([str(tmp_path), "--model", str(path), "--out", str(tmp_path/"out")]) == 0
    assert "bad.tif" in capsys.readouterr().err
    assert np.load(tmp_path/"out"/"embeddings.npy").shape == (2, 8)
    lines = (tmp_path/"out"/"labels.csv").read_text().splitlines()
    assert lines[0].startswith("path,label") and len(lines) == 3
    assert main([str(tmp_path/"a0.png"), "--model", str(tmp_path/"nope.pt"), "--out", str(tmp_path/"o")]) == 1
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(path.parent))          # the default model, found by name
    import shutil
    shutil.copy(path, path.parent/"bowtie_siamese.pt")
    assert main([str(tmp_path/"a0.png"), "--out", str(tmp_path/"o2")]) == 0
    with pytest.raises(SystemExit): main([])


def test_unknown_rule():
    C = np.array([[0., 0.], [10., 10.]])
    thr = unknown_threshold(np.array([[0., 1.], [0., 2.], [10., 11.], [10., 13.]]), np.array([0, 0, 1, 1]), C, q=1.0)
    assert thr == 3.0
    labels, d = classify(np.array([[0., 0.], [9., 9.], [50., -50.]]), C, ["none", "bowtie"], thr)
    assert labels == ["none", "bowtie", "unknown"] and d.shape == (3, 2)
    assert classify(np.array([[50., -50.]]), C, ["none", "bowtie"])[0] == ["none"]     # no threshold: never unknown
    with pytest.raises(ValueError, match="no validation"): unknown_threshold(np.zeros((0, 2)), np.zeros(0, int), C)


def test_intensity_stats():
    s = intensity_stats(np.arange(200.).reshape(2, 10, 10))
    assert s.shape == (2, 5) and np.allclose(s[0, [0, 3]], 49.5) and np.allclose(s[1, 0], 149.5)


def test_init_weights_and_val_images(tmp_path):
    "Start from a local timm state dict (RGB stem summed to one channel) or a model file; validate on other images."
    import timm
    from chiral_em.models import save_model
    torch.save(timm.create_model("tinynet_e", pretrained=False).state_dict(), tmp_path/"timm.pth")
    imgs = np.random.default_rng(1).integers(0, 255, (6, 32, 32)).astype(np.uint8)
    vimgs = np.random.default_rng(2).integers(0, 255, (4, 32, 32)).astype(np.uint8)
    t = make_triplets(np.array([0, 0, 0, 1, 1, 1]), 8, np.random.default_rng(0))
    tv = make_triplets(np.array([0, 0, 1, 1]), 4, np.random.default_rng(0))
    m, h = train_siamese(imgs, t, tv, "tinynet_e", 8, 16, epochs=1, batch=8, progress=False, val_images=vimgs,
                         init_weights=tmp_path/"timm.pth")
    assert h["init_tensors"] > 100 and len(h["val_acc"]) == 1
    ref = timm.create_model("tinynet_e", pretrained=False, num_classes=0, in_chans=1)
    m0 = SiameseNet("tinynet_e", 8, 16)
    load_init_weights(m0, tmp_path/"timm.pth")
    w = torch.load(tmp_path/"timm.pth", weights_only=True)["conv_stem.weight"]
    assert torch.allclose(m0.body.conv_stem.weight, w.sum(1, keepdim=True))
    assert ref.conv_stem.weight.shape == m0.body.conv_stem.weight.shape
    save_model(tmp_path/"m.pt", m, dict(input_kind="image", sampling=None, profile="test", data_version=None, seed=0,
                                        example_input=[1, 1, 32, 32]))
    m2 = SiameseNet("tinynet_e", 8, 16)
    assert load_init_weights(m2, tmp_path/"m.pt") == len(m2.state_dict())
    assert np.allclose(embed(m2, imgs), embed(m, imgs), atol=1e-4)
    with pytest.raises(FileNotFoundError): load_init_weights(m2, tmp_path/"missing.pth")
    torch.save({"x.weight": torch.zeros(3)}, tmp_path/"other.pth")
    with pytest.raises(ValueError, match="no tensor fits"): load_init_weights(m2, tmp_path/"other.pth")
    with pytest.raises(ValueError, match="validation"):
        train_siamese(imgs, t, t, "tinynet_e", 8, 16, epochs=1, progress=False, val_images=vimgs)


def test_cli_unknown(tiny_model, tmp_path, capsys):
    "A model whose meta holds `unknown_threshold` labels far images 'unknown', and the command says so."
    from chiral_em.models import save_model
    m, _ = tiny_model
    path = save_model(tmp_path/"m.pt", m, dict(input_kind="image", sampling=None, profile="test", data_version=None,
                                               seed=0, example_input=[1, 1, 32, 32], size=32,
                                               classes=["none", "bowtie"], unknown_threshold=0.0,
                                               centroids=np.random.default_rng(0).normal(size=(2, 8))))
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 40)).astype(np.uint8)).save(tmp_path/"a.png")
    assert main([str(tmp_path/"a.png"), "--model", str(path), "--out", str(tmp_path/"out")]) == 0
    assert "1 unknown" in capsys.readouterr().out
    assert (tmp_path/"out"/"labels.csv").read_text().splitlines()[1].split(",")[1] == "unknown"
