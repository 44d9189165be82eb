"Chapter 01 (paper 000) as a whole: the protocol on a few simulated images, and the shipped `bowtie_siamese` model."
import numpy as np
import pytest
import torch

from chiral_em import models
from chiral_em.sim.sem import bowtie_images
from chiral_em.measure import nc_scores
from chiral_em.embed import make_triplets, split_triplets, train_siamese, embed, classify


def test_protocol_runs_end_to_end():
    "Images → triplets → one epoch of triplet training → nearest centroid, as the chapter does, at toy size."
    d = bowtie_images(np.random.default_rng(0), 12, size=32, render=64)
    y = d["label"]
    if min(np.bincount(y, minlength=2)) < 2: pytest.skip("toy draw has fewer than 2 images of a class")
    tr, va = split_triplets(make_triplets(y, 24, np.random.default_rng(0)), rng=np.random.default_rng(0))
    model, hist = train_siamese(d["image"], tr, va, "tinynet_e", emb=8, hidden=16, epochs=1, batch=8, progress=False)
    assert len(hist["step_loss"]) == 3 and np.isfinite(hist["step_loss"]).all()
    E = embed(model, d["image"])
    s = nc_scores(E, y, E, y)
    assert E.shape == (12, 8) and 0 <= s["accuracy"] <= 1 and s["centroids"].shape == (2, 8)


def test_shipped_model_has_what_embed_needs():
    "The cpu profile ships `bowtie_siamese` (float16 weights, < 5 MB) with centroids, classes and input size."
    if "bowtie_siamese" not in models.packaged_models(): pytest.skip("bowtie_siamese not shipped yet: run chapter 01 in cpu")
    net, meta = models.load_model(models.find_model("bowtie_siamese"))
    assert meta["classes"] == ["none", "bowtie"] and meta["input_kind"] == "image"
    C = np.asarray(meta["centroids"], np.float32)
    assert C.shape == (2, net.init_kwargs["emb"]) and meta["example_input"] == [1, 1, meta["size"], meta["size"]]
    x = np.random.default_rng(0).integers(0, 255, (2, meta["size"], meta["size"])).astype(np.uint8)
    labels, dist = classify(embed(net, x), C, meta["classes"])
    assert set(labels) <= {"none", "bowtie"} and dist.shape == (2, 2)
