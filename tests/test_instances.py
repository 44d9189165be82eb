"Issue 13: the agglomerate engine and instance separation (`instances`), and `morphology --pipeline network`."
import numpy as np
import pytest
from chiral_em.sim.agglomerates import render_agglomerates, MODES
from chiral_em.instances import instance_targets, split_instances, segment_instances, train_instance_net, median_radius
from chiral_em import models


def test_same_seed_same_bytes_every_mode():
    for m in MODES:
        a = render_agglomerates(np.random.default_rng([1, 2]), 80, m)
        b = render_agglomerates(np.random.default_rng([1, 2]), 80, m)
        assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes() and a[2] == b[2]


def test_targets_split_touching_particles_of_a_scene():
    img, lab, info = render_agglomerates(np.random.default_rng(5), 128, "sem", agglomeration=(0.9, 0.9))
    rec = split_instances(instance_targets(lab))
    assert abs(int(rec.max()) - int(lab.max())) <= max(2, 0.1 * lab.max())   # the maps carry the instances
    assert median_radius(lab) > 0


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("inst")
    net, meta, _ = train_instance_net(steps=2, batch=2, field=64, base=4, progress=False, profile="test")
    return models.save_model(d / "instances_unet.pt", net, meta)


def test_segment_instances_any_size(tiny_model):
    net, meta = models.load_model(tiny_model)
    img = np.random.default_rng(0).random((50, 77)).astype(np.float32)
    assert segment_instances(img, net, meta).shape == (50, 77)
    assert segment_instances(img, net, meta, zoom=0.5).dtype == np.int32


def test_morphology_network_pipeline(tiny_model, monkeypatch):
    from chiral_em import morphology
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(tiny_model.parent))
    monkeypatch.setattr(morphology, "_INSTANCE_NET", {})
    img = render_agglomerates(np.random.default_rng(3), 96, "bf")[0]
    lab, df, crops = morphology.analyse_image(img, morphology._load_net(None), None, "network", n_phase=0)
    assert lab.shape == img.shape and len(df) == len(crops)
    lab_t = morphology.analyse_image(img, morphology._load_net(None), None, "touching", n_phase=0)[0]
    assert lab_t.shape == img.shape
    with pytest.raises(ValueError, match="default, touching, baseline, network, haadf, haadf_dense, haadf_tomogram"):
        morphology.analyse_image(img, morphology._load_net(None), None, "magic")


def test_shipped_tomogram_network(tmp_path):
    "20b ships the tomogram network (`finetune_tomogram`); `chiral-em segment --tomogram` runs it on a simulated slice."
    if "particles_haadf_tomogram" not in models.packaged_models():
        pytest.skip("particles_haadf_tomogram not shipped yet: run 20b_instances in cpu")
    from chiral_em.catalyst import main, segment_catalyst, finder_kwargs, TOMOGRAM_FINDER
    from chiral_em.emio import write_tif
    from chiral_em.sim.catalyst import render_tomogram_slice, TOMOGRAM_UNSATURATED
    net, meta = models.load_model(models.find_model("particles_haadf_tomogram"))
    assert meta["input_kind"] == "haadf" and meta["tomogram"]["mix"] == 0.5 and meta["tomogram"]["n_slices"] > 0
    img, lab, _ = render_tomogram_slice(np.random.default_rng([5, 5]), 128, **TOMOGRAM_UNSATURATED)
    write_tif(tmp_path / "slice.tif", img)
    assert main([str(tmp_path / "slice.tif"), "--kind", "particles", "--mode", "stem", "--tomogram",
                 "--keep-annotations", "--out", str(tmp_path / "out")]) == 0
    n = sum(1 for _ in open(tmp_path / "out" / "slice_particles.csv")) - 1
    assert n == segment_catalyst(img, net, meta, **finder_kwargs(TOMOGRAM_FINDER)).max() and n > 0
