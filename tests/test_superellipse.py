"Chapter 04 (paper 001) as a whole: the shipped networks and the pipeline from a simulated micrograph to groups."
import numpy as np
import pytest
import torch

from chiral_em import models
from chiral_em.shape import ShapeCNN, predict
from chiral_em.sim.superellipse import DATA_VERSION, render_scene, SYNTHESES
from chiral_em.measure import eval_instances, summarize_eval
from chiral_em.groups import FEATURE_SETS, zscore, choose_k, cluster
from chiral_em.morphology import analyse_image


@pytest.mark.parametrize("name, kind", [("shape_cnn", "image"), ("shape_mask_cnn", "mask")])
def test_shipped_networks_say_what_they_read(name, kind):
    "Chapter 04's cpu profile ships both networks; each file states its input and runs on its example input."
    path = models.find_model(name)
    net, meta = models.load_model(path)
    assert isinstance(net, ShapeCNN) and net.input_kind == kind == meta["input_kind"]
    assert meta["example_input"] == [1, 1, 44, 44] and path.stat().st_size < models.MAX_SHIP_MB * 2**20
    with torch.no_grad(): assert net(torch.zeros(meta["example_input"])).shape == (1, 3)


def test_pipeline_recovers_the_groups_of_a_synthetic_scene():
    "Synthesis A (rounded cubes and platelets): segmentation finds the particles and K-means splits the two groups."
    net, _ = models.load_model(models.find_model("shape_mask_cnn"))
    img, gt, truth = render_scene(np.random.default_rng(2), SYNTHESES["A"], n=40, field=512, spacing=1.6)
    lab, df, crops = analyse_image(img, net, n_phase=12)
    assert summarize_eval([eval_instances(gt, lab)])["f1"] > 0.9
    assert len(crops) == len(df) and df.jaccard.between(0, 1).all() and df.d.between(0.5, 6.5).all()
    X = zscore(df[FEATURE_SETS["both"]].values)
    assert choose_k(X, "kmeans", 6)[0] >= 2 and len(np.unique(cluster(X, 2))) == 2


def test_mask_network_reads_masks_only():
    net, _ = models.load_model(models.find_model("shape_mask_cnn"))
    with pytest.raises(ValueError, match="masks="): predict(net, np.zeros((2, 44, 44), np.uint8))
    assert predict(net, None, masks=np.zeros((2, 44, 44), bool)).shape == (2, 3)
