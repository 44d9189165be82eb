"Tests for chiral_em.groups (clustering, Bayesian search, SVM) and chiral_em.viz (figures, scale bar)."
import numpy as np
import pandas as pd
import pytest

from chiral_em.groups import (choose_k, cluster, clustering_ccc, bayes_search, svm_classifier, _sample_space, zscore,
                              group_table, ensemble_size, FEATURE_SETS)


def test_clustering_finds_three_blobs():
    X = np.vstack([np.random.default_rng(0).normal(c, 0.3, (50, 2)) for c in ((0, 0), (4, 0), (0, 4))])
    k, _ = choose_k(X, k_max=6)
    assert k == 3 and clustering_ccc(X, cluster(X, 3)) > 0.8
    assert np.allclose(zscore(X).mean(0), 0) and np.allclose(zscore(X).std(0), 1)


def test_group_table():
    D = pd.DataFrame(np.random.default_rng(0).normal(10, 1, (30, 13)), columns=FEATURE_SETS["both"])
    D["group"] = np.repeat([1, 2, 3], 10)
    t = group_table(D)
    assert list(t.n) == [10, 10, 10] and "size_cv" in t and ensemble_size(D)["n"] == 30


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
    X = np.vstack([rng.normal(c, 0.6, (50, 3)) for c in ((0, 0, 0), (4, 0, 0), (0, 4, 4))])
    y = np.repeat([1, 2, 3], 50)
    a = svm_classifier(X, y, n_search=6, seed=2, search="bayes")
    b = svm_classifier(X, y, n_search=6, seed=2, search="bayes")
    assert a["search"] == "bayes" and len(a["trace"]) == 6
    assert a["trace"] == b["trace"] and a["best_params"] == b["best_params"] and a["test_accuracy"] == b["test_accuracy"]
    assert a["test_accuracy"] >= 0.9 and a["cv10_accuracy"] >= 0.9 and a["confusion"].sum() == 30
    assert set(a["best_params"]) == {"C", "gamma", "kernel", "degree"}


def test_figures_and_scale_bar(tmp_path):
    import matplotlib.pyplot as plt
    from chiral_em.viz import summary_figures, plot_outputs, scale_bar, nice_length, overlay_png
    D = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 13)), columns=FEATURE_SETS["both"])
    D["group"] = np.repeat([1, 2, 3], 20)
    names = []
    for name, fig in summary_figures(D):
        names.append(name)
        plt.close(fig)
    assert names == ["histograms", "dendrogram", "parallel_coordinates", "pca_pareto", "scatter_p_d_ratio"]
    plt.close(plot_outputs(D))
    assert [nice_length(x) for x in (0.07, 3, 19.9, 7000)] == pytest.approx([0.05, 2, 10, 5000])
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((64, 64)))
    assert scale_bar(ax, 1.5) == 10 and ax.texts[-1].get_text() == "10 nm"    # 64 px × 1.5 nm × 0.2 = 19.2 → 10
    assert scale_bar(ax, 1.5, length_nm=30) == 30
    plt.close(fig)
    assert overlay_png(tmp_path / "o.png", np.random.default_rng(0).normal(size=(32, 32)), pixel_size_nm=1.).exists()
    assert plt.get_fignums() == []
