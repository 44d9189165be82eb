"chiral_em.datasets: every shared real data set loads into the common `Sample` form (skipped where a folder is absent)."
import numpy as np
import pytest

from chiral_em.datasets import (LOADERS, SPLITS, DatasetMissing, Sample, available, data_dir, load, scale_bar_px,
                                degeorge_pixel_size)


def check(s: Sample):
    "The promises of the common form for one sample."
    h, w = s.image.shape
    assert s.image.data.dtype == np.float32 and s.image.data.ndim == 2 and np.isfinite(s.image.data).all()
    assert s.image.path.exists() and s.meta["dataset"] and s.meta["name"] == s.image.path.stem
    assert s.meta["calibration"], "every sample says where its pixel size came from"
    assert (s.image.pixel_size is None) == s.meta["calibration"].startswith("unknown")
    if s.image.pixel_size is not None: assert 1e-3 < s.image.pixel_size < 100      # [nm/px]
    for a in (s.labels, s.mask): assert a is None or a.shape == (h, w)
    if s.labels is not None: assert s.labels.dtype == np.int32 and s.labels.min() == 0 and s.labels.max() > 0
    if s.mask is not None: assert s.mask.dtype == np.uint8 and s.mask.max() < len(s.meta["classes"])
    if s.boxes is not None:
        b = s.boxes
        assert b.dtype == np.float64 and b.shape[1] == 5 and (b[:, 3] > b[:, 1]).all() and (b[:, 4] > b[:, 2]).all()
        assert (b[:, 1:] >= -1).all() and (b[:, 3] <= w + 1).all() and (b[:, 4] <= h + 1).all()
        assert (b[:, 0] >= 0).all() and (b[:, 0] < len(s.meta["classes"])).all()
    if s.points is not None: assert s.points.shape[1] == 2 and (s.points >= 0).all() and (s.points < [w, h]).all()
    assert any(x is not None for x in (s.labels, s.mask, s.boxes, s.points)) or s.meta["labels"] == "none"


def need(name):
    if not available(name):
        pytest.skip(f"../shared/data/{name} not found: real-data checks need the shared data folder beside the project "
                    f"(or $CHIRAL_EM_SHARED_DATA)")


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_common_form(name):
    need(name)
    samples = load(name, limit=2)
    assert len(samples) == 2
    for s in samples: check(s)
    for split in SPLITS[name]:
        for s in load(name, split, limit=1): check(s); assert s.meta["split"] == split


EXPECTED = {"stach_insitu_sintering_bftem": 40, "temseg_au_hrtem": 194, "degeorge_insitu_vls_nanowire_hrtem": 45,
            "genc_pt_alumina_haadf_tomo": 60, "chen_patchy_nanoprism_tem": 53, "friedl_deepsem_nanowires_sem": 105,
            "genc_catalyst_np_yolo": 33, "ziatdinov_graphene_stem_atomnet": 3, "particlespy_sio2_haadf": 2}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_match_manifest(name):
    need(name)
    assert len(LOADERS[name](data_dir(name), None)) == EXPECTED[name]        # file lists only, no pixels read


def test_missing_folder_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIRAL_EM_SHARED_DATA", str(tmp_path))
    for name in LOADERS:
        assert not available(name)
        with pytest.raises(DatasetMissing, match=name): load(name)
    with pytest.raises(FileNotFoundError): load("temseg_au_hrtem")
    with pytest.raises(KeyError, match="known data sets"): load("no_such_set")


def test_bad_split():
    with pytest.raises(ValueError, match="splits: test, train"): load("stach_insitu_sintering_bftem", "val")


def test_scale_bar():
    img = np.zeros((200, 200), np.uint8)
    img[180, 10:60] = 255
    assert scale_bar_px(img) == 50 and degeorge_pixel_size(img) == 5 / 50


def test_labels_match_manifest():
    if available("temseg_au_hrtem"):
        s = load("temseg_au_hrtem", "labeled", limit=1)[0]
        assert s.meta["frame"] == 1 and 700 < s.labels.max() < 900            # MANIFEST: 760–860 particles per frame
    if available("friedl_deepsem_nanowires_sem"):
        tiles = load("friedl_deepsem_nanowires_sem", "train") + load("friedl_deepsem_nanowires_sem", "val")
        assert sum(len(s.boxes) for s in tiles) == 4840                      # MANIFEST: 4,840 boxes on 31 tiles
    if available("ziatdinov_graphene_stem_atomnet"):
        assert [len(s.points) for s in load("ziatdinov_graphene_stem_atomnet")] == [606, 1260, 140]
    if available("genc_catalyst_np_yolo"):
        assert sum(len(s.boxes) for s in load("genc_catalyst_np_yolo", limit=5)) > 0
    if available("degeorge_insitu_vls_nanowire_hrtem"):
        s = load("degeorge_insitu_vls_nanowire_hrtem", limit=1)[0]
        assert 0.02 < s.image.pixel_size < 0.08 and abs(s.meta["sampling"] - 10 * s.image.pixel_size) < 1e-12


def test_same_arrays_as_the_readers_they_replace():
    "Exact grey of R = G = B PNGs, 8-connected instances, sorted order: what chapter 04 and 05 read before."
    import imageio.v3 as iio
    from skimage import measure
    from chiral_em.emio import read_image
    need("stach_insitu_sintering_bftem")
    s = load("stach_insitu_sintering_bftem", limit=1)[0]
    root = data_dir("stach_insitu_sintering_bftem")
    assert s.image.path == root / "test/images/image_0.png"
    np.testing.assert_array_equal(s.image.data, iio.imread(s.image.path)[..., :3].mean(-1).astype(np.float32))
    gt = measure.label(iio.imread(root / "test/labels/label_0.png")[..., 0] > 0, connectivity=2).astype(np.int32)
    np.testing.assert_array_equal(s.labels, gt)
    if available("degeorge_insitu_vls_nanowire_hrtem"):
        s = load("degeorge_insitu_vls_nanowire_hrtem", limit=1)[0]
        np.testing.assert_array_equal(s.image.data, read_image(s.image.path).data)
        assert s.meta["sampling"] == (50. if s.meta["scale_bar_px"] < 200 else 100.) / s.meta["scale_bar_px"]
