"Two-layer assignment (chiral_em.layers) and the engine's coverage2 keyword."
import numpy as np
import pytest
from chiral_em.sim.liquid_cell import simulate_movie
from chiral_em.layers import (layer_batch, particle_table, instance_layers, match_iou, channel_instances,
                              summarize_layers, OVERLAP_BINS)
import pandas as pd


def test_coverage2_default_keeps_movies():
    "coverage2=None must give the very same movie as before the keyword existed (same draws, same bytes)."
    a = simulate_movie(3, 1, n_frames=2, size=96, n_layers=2)
    b = simulate_movie(3, 1, n_frames=2, size=96, n_layers=2, coverage2=None)
    assert a["frames"].tobytes() == b["frames"].tobytes() and a["labels"].tobytes() == b["labels"].tobytes()


def test_coverage2_controls_upper_layer():
    n = [(simulate_movie(4, 0, n_frames=1, size=192, n_layers=2, coverage2=c)["gt"]["layer"] == 1).sum()
         for c in (0.1, 0.9)]
    assert n[0] < n[1]
    with pytest.raises(ValueError, match="coverage2"): simulate_movie(0, 0, n_layers=2, coverage2=-0.1)


def test_batch_targets_overlap_in_both_channels():
    x, y = layer_batch(2, batch=4, crop=48, size=160)   # 128 px crystals are too small to carry upper cubes
    assert x.shape == (4, 1, 48, 48) and y.shape == (4, 3, 48, 48)   # lower, upper, centre
    both = (y[:, 0] > 0) & (y[:, 1] > 0)
    assert both.any() and ((y[:, 0] > 0) ^ (y[:, 1] > 0)).any()


def test_perfect_prediction_assigns_every_particle():
    mv = simulate_movie(6, 0, n_frames=1, size=160, n_layers=2, coverage2=0.5)
    lab = mv["labels"][0]
    prob = (lab > 0).astype(float)
    pt = particle_table(lab)
    assert 0 < pt.overlap.max() <= 1 and pt.overlap.min() >= 0
    for l in (0, 1): assert (instance_layers(prob, lab[l]).layer == l).all()
    inst = channel_instances(prob)
    for l in (0, 1):
        ids = pt.label[pt.layer == l].to_numpy()
        assert (match_iou(inst[l], lab[l])[ids] > 0.9).mean() > 0.9


def test_summary_bins_and_goal():
    rng = np.random.default_rng(0)
    n = 400
    rec = pd.DataFrame(dict(layer=rng.integers(0, 2, n), overlap=rng.uniform(0, 1, n), flux=500.,
                            movie=rng.integers(0, 4, n),
                            train_seed=0, unet=True, unet_e2e=rng.uniform(size=n) < 0.9, intensity=False, graph=True,
                            unet_graph=True, unet_e2e_graph=rng.uniform(size=n) < 0.95,
                            majority=True))
    iou = pd.DataFrame(dict(method="U-Net", train_seed=0, layer=[0, 1], inter=[9, 8], union=[10, 10], flux=500.,
                            movie=0))
    s = summarize_layers(rec, iou)
    assert s["overall"]["unet"]["mean"] == 1 and s["goal"]["unet"]["met_overall"]
    assert len(s["by_overlap"]["unet"]) == len(OVERLAP_BINS) - 1
    assert s["iou"]["U-Net"]["lower"]["500"] == 0.9


def test_end_to_end_graph_on_perfect_channels():
    "Perfect channels: the predicted-instance overlap graph keeps (nearly) every particle in its layer."
    from chiral_em.layers import predicted_layers, e2e_correct
    mv = simulate_movie(6, 0, n_frames=1, size=160, n_layers=2, coverage2=0.5)
    lab = mv["labels"][0]
    inst, lays = predicted_layers((lab > 0).astype(float))
    ok = e2e_correct(inst, lays, lab)
    assert len(ok) == len(particle_table(lab)) and ok.mean() > 0.9
    flipped = e2e_correct(inst, [np.where(l >= 0, 1 - l, l) for l in lays], lab)
    assert flipped.mean() < 0.1


@pytest.mark.parametrize("seed", [6, 8, 3, 5])   # 3 and 5: hexagonal lattices
def test_centre_path_on_perfect_channels(seed):
    "Perfect footprints and centres: seeds on the neighbour graph find every cube in its layer (square and hexagonal)."
    from chiral_em.layers import centre_layers, centre_target, e2e_matched, e2e_correct
    mv = simulate_movie(seed, 0, n_frames=1, size=192, n_layers=2, coverage2=0.5)
    lab = mv["labels"][0]
    prob = np.concatenate([(lab > 0).astype(float), centre_target(lab)[None]])
    inst, lays, seeds = centre_layers(prob)
    a = mv["meta"]["lattice_px"]
    assert abs(seeds.spacing.iloc[0] - a) < 0.1 * a
    ok = e2e_matched(seeds[["y", "x"]].to_numpy(), seeds.layer.to_numpy(), lab, 0.3 * a)
    assert len(ok) == len(particle_table(lab)) and ok.mean() > 0.95
    assert e2e_correct(inst, lays, lab).mean() > 0.9
