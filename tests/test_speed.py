"""The fast versions of segment_default, particle_features and resim_jaccard against the implementations they
replaced (scipy/skimage morphology, skimage regionprops, shape_alpha), and run_morphology's parallel path against the
serial one. Synthetic images run everywhere; the shared real sets (../shared/data) are checked when present."""
import json, math
from pathlib import Path
import numpy as np, pytest, torch
from scipy import ndimage as ndi
from skimage import filters, measure, morphology, segmentation
from chiral_em import datasets
from chiral_em.emio import stretch
from chiral_em.segment import (segment_default, LEGACY_DEFAULT, watershed_split, remove_small, typical_radius, polarity_dark,
                               _with_bar, _open_disk, _fill_holes, _edt)
from chiral_em.measure import particle_features, feret, FEATURES, crop_particles
from chiral_em.shape import resim_jaccard
from chiral_em.sim.superellipse import shape_alpha, simulate, render_scene, SYNTHESES

torch.set_num_threads(1)
MOMENT_COLS = ["major_axis", "minor_axis", "eccentricity", "orientation", "aspect_ratio"]


# ---- the replaced implementations ---------------------------------------------------------------------------------
def ref_remove_small(fg, min_area):
    lab = measure.label(fg, connectivity=2)
    keep = np.bincount(lab.ravel()) >= min_area
    keep[0] = False
    return keep[lab]

def ref_watershed_split(fg, h):
    dist = ndi.distance_transform_edt(fg)
    if dist.max() <= h: return measure.label(fg).astype(np.int32)
    rec = morphology.reconstruction(dist - h, dist)
    markers = measure.label(morphology.local_maxima(rec) & fg)
    return segmentation.watershed(-rec, markers, mask=fg).astype(np.int32)

def ref_typical_radius(fg):
    lab = measure.label(fg)
    if lab.max() == 0: return 0.0
    rad = np.asarray(ndi.maximum(ndi.distance_transform_edt(fg), lab, np.arange(1, lab.max() + 1)))
    o = np.argsort(rad)
    c = np.cumsum(np.bincount(lab.ravel())[1:][o])
    return float(rad[o][np.searchsorted(c, c[-1] / 2)])

def ref_segment_default(img, annotations=True):
    "scipy/skimage reference of `segment_default(img, **LEGACY_DEFAULT)` (σ = r/6, distance split at 0.3 r)."
    def run(x):
        x = stretch(x, 0.5, 99.5)
        x1 = filters.gaussian(x, 1)
        if polarity_dark(x1) is False: x, x1 = 1 - x, 1 - x1
        fg1 = ndi.binary_opening(x1 < filters.threshold_otsu(x1), morphology.disk(1), border_value=1)
        r = max(ref_typical_radius(fg1), 1.0)
        xs = filters.gaussian(x, max(1.0, r * (1 / 6)))
        fg = ndi.binary_opening(xs < filters.threshold_otsu(xs), morphology.disk(max(1, int(r * (1 / 6)))))
        fg = ref_remove_small(ndi.binary_fill_holes(fg), max(4, 0.1 * math.pi * r * r))
        return ref_watershed_split(fg, max(1.0, 0.3 * r))
    return _with_bar(run, img, annotations)

def ref_features(lab):
    import pandas as pd
    rows = []
    for r in measure.regionprops(lab.astype(np.int32)):
        per, mu, im = r.perimeter, r.moments_central, r.image
        fmax, amax, fmin, amin = feret(np.argwhere(im & ~ndi.binary_erosion(im)))
        y0, x0, y1, x1 = r.bbox
        rows.append(dict(label=r.label, area=r.area, perimeter=per, perimeter_old=measure.perimeter(im, 8),
            circularity=min(1.0, 4 * math.pi * r.area / per ** 2) if per > 0 else 1.0,
            major_axis=r.axis_major_length, minor_axis=r.axis_minor_length, eccentricity=r.eccentricity,
            orientation=-math.degrees(0.5 * math.atan2(2 * mu[1, 1], mu[0, 2] - mu[2, 0])),
            solidity=r.solidity, extent=r.extent, equiv_diameter=r.equivalent_diameter_area, convex_area=r.area_convex,
            filled_area=r.area_filled, euler_number=r.euler_number, max_feret=fmax, max_feret_angle=amax,
            min_feret=fmin, min_feret_angle=amin, centroid_x=r.centroid[1], centroid_y=r.centroid[0],
            bbox_x=x0, bbox_y=y0, bbox_w=x1 - x0, bbox_h=y1 - y0,
            aspect_ratio=r.axis_major_length / max(r.axis_minor_length, 1e-6),
            circularity_calc=r.area / per ** 2 if per > 0 else 0.0,
            touches_border=bool(y0 == 0 or x0 == 0 or y1 == lab.shape[0] or x1 == lab.shape[1])))
    return pd.DataFrame(rows, columns=["label"] + FEATURES + ["touches_border"])

def ref_jaccard(masks, params, native, n_phase, corrected=False):
    masks = torch.as_tensor(np.asarray(masks).astype(bool))
    tall = masks.any(2).sum(1) >= masks.any(1).sum(1)
    masks = torch.where(tall[:, None, None], masks, torch.rot90(masks, 1, (1, 2)))
    P, k, size = np.asarray(params, np.float32), len(masks), masks.shape[-1]
    prm = dict(p=np.clip(np.repeat(P[:, 0], n_phase), 0.3, None),
               d=np.repeat(np.clip(np.round(P[:, 1]), 1, 6), n_phase),
               ratio=np.repeat(np.clip(P[:, 2], 1, None), n_phase),
               phase=np.tile(np.arange(n_phase) * 2 * np.pi / n_phase, k))
    alpha, _, band = shape_alpha(prm, np.repeat(np.asarray(native, np.float32), n_phase), size, corrected)
    sim = ((alpha > 0.5) & ~band).view(k, n_phase, size, size)
    m = masks[:, None]
    return ((sim & m).sum((2, 3)) / (sim | m).sum((2, 3)).clamp(min=1)).amax(1).numpy().astype(np.float64)


def same_features(a, b, rtol=1e-9):
    """Moment-derived columns to rtol (summation order differs; the orientation as an axis, modulo 180°: a symmetric
    particle's is ±90° by the sign of a rounding error in skimage); every other column, dtype and row exactly."""
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes) and len(a) == len(b)
    for c in a.columns:
        if c == "orientation":
            np.testing.assert_allclose((a[c] - b[c] + 90) % 180 - 90, 0, atol=1e-9, err_msg=c)
        elif c in MOMENT_COLS: np.testing.assert_allclose(a[c], b[c], rtol=rtol, atol=1e-9, err_msg=c)
        else: np.testing.assert_array_equal(a[c].values, b[c].values, err_msg=c)


def blobs(seed, shape=(150, 190), sigma=3.0, q=0.5):
    rng = np.random.default_rng(seed)
    return ndi.gaussian_filter(rng.random(shape), sigma) > q


# ---- segmentation ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 5, 21, 30])
@pytest.mark.parametrize("border", [0, 1])
def test_open_disk(k, border):
    fg = blobs(k, (160, 200), sigma=4 if k < 20 else 12, q=0.45 if k < 20 else 0.48)
    assert (_open_disk(fg, k, border) == ndi.binary_opening(fg, morphology.disk(k), border_value=border)).all()

@pytest.mark.parametrize("seed", range(4))
def test_fill_edt_remove_radius(seed):
    fg = blobs(seed, sigma=2.0, q=0.5 + 0.01 * seed)
    assert (_fill_holes(fg) == ndi.binary_fill_holes(fg)).all()
    np.testing.assert_array_equal(_edt(fg), ndi.distance_transform_edt(fg))
    assert (remove_small(fg, 30) == ref_remove_small(fg, 30)).all()
    assert typical_radius(fg) == ref_typical_radius(fg)
    assert (watershed_split(fg, 2.0) == ref_watershed_split(fg, 2.0)).all()

def test_segment_default_synthetic():
    for syn, seed in (("A", 0), ("B", 1), ("C", 2)):
        img = render_scene(np.random.default_rng(seed), SYNTHESES[syn], n=40, field=384)[0]
        assert (segment_default(img, **LEGACY_DEFAULT) == ref_segment_default(img)).all()
        assert (segment_default(1 - img, **LEGACY_DEFAULT) == ref_segment_default(1 - img)).all()      # bright particles


# ---- features and re-simulation Jaccard ---------------------------------------------------------------------------
def label_zoo(seed, shape=(90, 120)):
    "Touching watershed blobs, a ring, a label in two pieces, single pixels, lines, symmetric rectangles, label gaps."
    rng = np.random.default_rng(seed)
    b = blobs(seed, shape, 3.0)
    lab = segmentation.watershed(-ndi.distance_transform_edt(b), measure.label(rng.random(shape) > 0.995), mask=b)
    lab[lab > 0] += 3
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    r2 = (yy - 20) ** 2 + (xx - 20) ** 2
    lab[(r2 <= 81) & (r2 > 16)] = 200
    lab[60:63, 5:9], lab[70:72, 12:15] = 201, 201
    lab[0, 0], lab[85, 60], lab[40:41, 30:50], lab[5:25, 100] = 202, 203, 204, 205
    lab[30:36, 60:64], lab[45:47, 70:78] = 206, 207
    return lab.astype(np.int32)

@pytest.mark.parametrize("seed", range(4))
def test_features_synthetic(seed):
    lab = label_zoo(seed)
    same_features(particle_features(lab), ref_features(lab))
    assert particle_features(np.zeros((5, 5), np.int32), 0.5).shape[0] == 0

@pytest.mark.parametrize("n_phase,corrected", [(24, False), (36, False), (24, True)])
def test_jaccard_synthetic(n_phase, corrected):
    s = simulate(np.random.default_rng(11), 50)
    pr = s["params"][:, :3] * np.random.default_rng(1).uniform(0.7, 1.3, (50, 3)).astype(np.float32)
    a = resim_jaccard(s["seg_masks"], pr, s["native"], n_phase, corrected)
    b = ref_jaccard(s["seg_masks"], pr, s["native"], n_phase, corrected)
    # When d divides n_phase, resim_jaccard draws only the first n_phase/d phases: rotating by 2π/d gives the same
    # continuous shape, but its float vertices can rasterise one boundary pixel differently (04fa2d9: 3 of 3,197
    # temseg particles, ≤ 0.001). Elsewhere (d does not divide n_phase) every phase is drawn and it must be exact.
    d = np.clip(np.round(pr[:, 1]), 1, 6).astype(int)
    every = n_phase % d != 0
    np.testing.assert_array_equal(a[every], b[every])
    assert np.abs(a - b).max() <= 0.005 and (a == b).mean() >= 0.9, (np.abs(a - b).max(), (a == b).mean())


# ---- the shared real sets ----------------------------------------------------------------------------------------
def real(name, limit):
    if not datasets.available(name): pytest.skip(f"{name} not in ../shared/data")
    return datasets.load(name, limit=limit)

@pytest.mark.parametrize("name,limit", [("stach_insitu_sintering_bftem", 6), ("temseg_au_hrtem", 2)])
def test_real_sets(name, limit):
    from chiral_em.morphology import _load_net
    from chiral_em.shape import predict
    net = _load_net(None)
    for s in real(name, limit):
        img = s.image.data
        lab = segment_default(img, **LEGACY_DEFAULT)
        np.testing.assert_array_equal(lab, ref_segment_default(img))
        same_features(particle_features(lab), ref_features(lab))
        crops, masks, ids, native = crop_particles(img, lab)
        pr = predict(net, crops, masks=masks)
        np.testing.assert_array_equal(resim_jaccard(masks, pr, native, 24), ref_jaccard(masks, pr, native, 24))


# ---- run_morphology: workers ---------------------------------------------------------------------------------------
def test_workers_same_results(tmp_path):
    from chiral_em.emio import write_tif
    from chiral_em.morphology import run_morphology
    for i in range(3):
        img = render_scene(np.random.default_rng(i), SYNTHESES["B"], n=25, field=320)[0]
        write_tif(tmp_path / f"s{i}.tif", img.astype(np.float32), pixel_size=0.5)
    (tmp_path / "bad.tif").write_bytes(b"not a tiff")
    files = [tmp_path / "s0.tif", tmp_path / "bad.tif", tmp_path / "s1.tif", tmp_path / "s2.tif"]
    a = run_morphology(files, tmp_path / "w1", verbose=False, figures=False, workers=1)
    b = run_morphology(files, tmp_path / "w2", verbose=False, figures=False, workers=2)
    assert b["workers"] == 2 and a["n_images"] == b["n_images"] == 3
    assert [s["path"] for s in a["skipped"]] == [s["path"] for s in b["skipped"]] == [str(tmp_path / "bad.tif")]
    for f in ["particles.csv", "groups.csv"] + [f"s{i}_particles.csv" for i in range(3)]:
        assert (tmp_path / "w1" / f).read_text() == (tmp_path / "w2" / f).read_text(), f
    for i in range(3):
        f = f"s{i}_labels.tif"
        assert (tmp_path / "w1" / f).read_bytes() == (tmp_path / "w2" / f).read_bytes()


def test_workers_beside_a_thread(tmp_path):
    """Where another thread runs (a notebook kernel) the workers come from a fork server, not from a fork of this
    process: the same results as one worker."""
    import threading
    from chiral_em.emio import write_tif
    from chiral_em.morphology import run_morphology
    for i in range(2):
        img = render_scene(np.random.default_rng(20 + i), SYNTHESES["B"], n=25, field=320)[0]
        write_tif(tmp_path / f"s{i}.tif", img.astype(np.float32), pixel_size=0.5)
    files = [tmp_path / f"s{i}.tif" for i in range(2)]
    a = run_morphology(files, tmp_path / "w1", verbose=False, figures=False, workers=1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try: b = run_morphology(files, tmp_path / "w2", verbose=False, figures=False, workers=2)
    finally: stop.set()
    assert b["workers"] == 2 and a["n_particles"] == b["n_particles"] > 0
    assert (tmp_path / "w1" / "particles.csv").read_text() == (tmp_path / "w2" / "particles.csv").read_text()


def test_command_forks_workers(tmp_path):
    """The command in a fresh process forks its workers from itself (Linux): the same tables as one worker, and no
    hang (a time limit fails the test instead)."""
    import subprocess, sys
    from chiral_em.emio import write_tif
    for i in range(2):
        img = render_scene(np.random.default_rng(30 + i), SYNTHESES["B"], n=25, field=320)[0]
        write_tif(tmp_path / f"s{i}.tif", img.astype(np.float32), pixel_size=0.5)
    code = ("import sys, chiral_em.morphology as m; print('fork', m._native_threads() == m._THREADS_AT_IMPORT); "
            "sys.exit(m.main())")                   # the condition (no thread started since the import) holds here
    for w in (1, 2):
        r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s0.tif"), str(tmp_path / "s1.tif"),
                            "--out", str(tmp_path / f"w{w}"), "--workers", str(w), "--no-figures"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        assert "fork True" in r.stdout or not sys.platform.startswith("linux")
    assert json.loads((tmp_path / "w2" / "summary.json").read_text())["workers"] == 2
    for f in ("particles.csv", "groups.csv", "s0_particles.csv", "s1_particles.csv"):
        assert (tmp_path / "w1" / f).read_text() == (tmp_path / "w2" / f).read_text(), f


def test_workers_draw_the_same_figures(tmp_path):
    "With two workers the per-image overlays are drawn in the worker processes: the same files, byte for byte."
    from chiral_em.emio import write_tif
    from chiral_em.morphology import run_morphology
    for i in range(2):
        img = render_scene(np.random.default_rng(10 + i), SYNTHESES["B"], n=25, field=320)[0]
        write_tif(tmp_path / f"s{i}.tif", img.astype(np.float32), pixel_size=0.5)
    files = [tmp_path / f"s{i}.tif" for i in range(2)]
    a = run_morphology(files, tmp_path / "w1", verbose=False, workers=1)
    b = run_morphology(files, tmp_path / "w2", verbose=False, workers=2)
    assert a["figures"] == b["figures"] and {"s0_overlay.png", "s1_overlay.png"} <= set(a["figures"])
    for f in a["figures"]: assert (tmp_path / "w1" / f).read_bytes() == (tmp_path / "w2" / f).read_bytes(), f


def _slow_call(i):
    "A call that takes a while; call 3 fails."
    import time
    time.sleep(0.05)
    if i == 3: raise ValueError("bad input 3")
    return i


def test_spread_in_order_with_help_from_here():
    "`_spread`: futures in call order; this process runs calls from the end while it waits; failures stay in their future."
    from concurrent.futures import ThreadPoolExecutor
    from chiral_em.morphology import _spread
    here, out = [], []
    with ThreadPoolExecutor(1) as pool:
        for f in _spread([(_slow_call, (i,)) for i in range(10)], pool.submit, ahead=1,
                         here=lambda fn, a: here.append(a[0]) or fn(*a)):
            try: out.append(f.result())
            except ValueError as e: out.append(str(e))
    assert out == [0, 1, 2, "bad input 3", 4, 5, 6, 7, 8, 9]
    assert here and here == sorted(here, reverse=True) and here[0] == 9      # taken from the end, one at a time
    with ThreadPoolExecutor(2) as pool:                                       # ahead=0 (dask): all submitted, none here
        assert [f.result() for f in _spread([(_slow_call, (i,)) for i in (0, 1, 2)], pool.submit)] == [0, 1, 2]
