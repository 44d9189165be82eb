"Chapter 01 (paper 000) as a whole: the protocol on a few simulated images, and the shipped `bowtie_siamese` model."
import numpy as np
import pytest

from chiral_em import models
from chiral_em.sim.sem import bowtie_images
from chiral_em.measure import nc_scores
from chiral_em.embed import make_triplets, train_siamese, embed, classify, unknown_threshold, intensity_stats


def test_protocol_runs_end_to_end():
    "Images → triplets (validation from other images) → triplet training → nearest centroid + unknown, and baseline."
    d = bowtie_images(np.random.default_rng(0), 12, size=32, render=64)
    v = bowtie_images(np.random.default_rng(1), 8, size=32, render=64)
    y, yv = d["label"], v["label"]
    if min(np.bincount(y, minlength=2)) < 2 or min(np.bincount(yv, minlength=2)) < 2:
        pytest.skip("toy draw has fewer than 2 images of a class")
    tr, va = make_triplets(y, 20, np.random.default_rng(0)), make_triplets(yv, 6, np.random.default_rng(0))
    model, hist = train_siamese(d["image"], tr, va, "tinynet_e", emb=8, hidden=16, epochs=1, batch=8, progress=False,
                                val_images=v["image"])
    assert len(hist["step_loss"]) == 3 and np.isfinite(hist["step_loss"]).all() and len(hist["val_acc"]) == 1
    E = embed(model, d["image"])
    s = nc_scores(E, y, E, y)
    assert E.shape == (12, 8) and 0 <= s["accuracy"] <= 1 and s["centroids"].shape == (2, 8)
    thr = unknown_threshold(embed(model, v["image"]), yv, s["centroids"], q=0.99)
    labels, _ = classify(E, s["centroids"], ["none", "bowtie"], thr)
    assert thr >= 0 and set(labels) <= {"none", "bowtie", "unknown"}
    assert intensity_stats(d["image"]).shape == (12, 5)


def test_shipped_model_has_what_embed_needs():
    "The cpu profile ships `bowtie_siamese` (float16 weights, < 5 MB) with centroids, classes, input size, threshold."
    if "bowtie_siamese" not in models.packaged_models():
        pytest.skip("bowtie_siamese not shipped yet: run chapter 01 in cpu")
    path = models.find_model("bowtie_siamese")
    assert path.stat().st_size < models.MAX_SHIP_MB*2**20
    net, meta = models.load_model(path)
    assert meta["classes"] == ["none", "bowtie"] and meta["input_kind"] == "image"
    C = np.asarray(meta["centroids"], np.float32)
    assert C.shape == (2, net.init_kwargs["emb"]) and meta["example_input"] == [1, 1, meta["size"], meta["size"]]
    thr = meta.get("unknown_threshold")      # files shipped before the "unknown" rule lack it
    assert thr is None or thr >= 0
    x = np.random.default_rng(0).integers(0, 255, (2, meta["size"], meta["size"])).astype(np.uint8)
    labels, dist = classify(embed(net, x), C, meta["classes"], thr)
    assert set(labels) <= {"none", "bowtie", "unknown"} and dist.shape == (2, 2)
