"Property tests of the SEM simulator (chiral_em.sim.particles, chiral_em.sim.sem)."
import math
from dataclasses import replace
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from chiral_em.sim.particles import KINDS, sample_particle, mirror_particle, rotate_particle, rect_top, ellipse_top
from chiral_em.sim.sem import (Scene, sample_scene, render_scene, zbuffer, twist_handedness, class_id, CLASSES,
                           scene_batch, yolo_lines)

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)
ALL = ("bowtie", "bundle", "kayak", "pancake")

@FAST
@given(seeds, st.sampled_from(["etd", "inlens"]))
def test_mirror_geometry_equals_mirrored_image(seed, det):
    "Rendering the mirror geometry equals mirroring the rendered (noise-free) image."
    rng = np.random.default_rng(seed)
    sc = sample_scene(rng, (96, 128), 40.0, 3, ALL, n_debris=2, max_overlap=0.6, detector=det)
    a, b = render_scene(sc), render_scene(sc.mirrored())
    assert np.abs(a.image.astype(int) - b.image[:, ::-1].astype(int)).max() <= 1
    assert [o["hand"] for o in a.objects] == [-o["hand"] for o in b.objects]

@FAST
@given(seeds, st.floats(0, 2*math.pi))
def test_rotation_keeps_handedness_label(seed, angle):
    "In-plane rotation never changes the handedness label; a mirror flips it."
    rng = np.random.default_rng(seed)
    p = sample_particle(rng, "bowtie", x=3.0, y=3.0)
    q = rotate_particle(p, angle, (3.0, 3.0))
    assert q.hand == p.hand and mirror_particle(q, 6.0).hand == -p.hand

def test_twist_handedness_is_read_from_rotated_and_mirrored_geometry():
    """The image-geometry estimate agrees with the label for ≥ 98 % of rotated and mirrored bowties on a fixed grid.

    Not every case: hypothesis found bowties the height-map statistic gets wrong (seed 508 and seed 25 at 2.0 rad,
    both hands), so 'never' was not true; measured 484 / 488 on this grid."""
    px, n = 0.03, 200
    c = (n*px/2, n*px/2)
    ok, tot = 0, 0
    for seed in list(range(60)) + [508]:
        p = sample_particle(np.random.default_rng(seed), "bowtie", x=c[0], y=c[1])
        p = replace(p, length=min(p.length, 0.9*n*px), roll=0.0, twist=max(p.twist, math.radians(15)))
        for angle in (0.0, 1.0, 2.0, 4.0):
            q = rotate_particle(p, angle, c)
            for g, h in ((q, p.hand), (mirror_particle(q, n*px), -p.hand)):
                z, ids, _ = zbuffer(Scene((n, n), 1000*px, [g]))
                ok += twist_handedness(z, ids == 1, px) == h
                tot += 1
    assert ok >= 0.98*tot, f"{ok}/{tot}"

@FAST
@given(seeds, st.floats(0, 1))
def test_boxes_contain_masks(seed, overlap):
    "Every ground-truth box contains its mask; YOLO boxes are normalised and match the pixel boxes."
    rng = np.random.default_rng(seed)
    sc = sample_scene(rng, (128, 160), 30.0, 4, ALL, n_debris=3, max_overlap=overlap,
                      data_bar=bool(rng.integers(2)), scale_bar=True)
    r = render_scene(sc, rng)
    H, W = r.image.shape
    for o in r.objects:
        x0, y0, x1, y1 = o["box"]
        m = r.instances == o["id"]
        assert m.sum() == m[y0:y1, x0:x1].sum() == o["area"] > 0
        cx, cy, w, h = o["yolo"]
        assert np.allclose([cx*W, cy*H, w*W, h*H], [(x0 + x1)/2, (y0 + y1)/2, x1 - x0, y1 - y0])
        assert 0 <= cx - w/2 and cx + w/2 <= 1 and 0 <= cy - h/2 and cy + h/2 <= 1
    assert len(yolo_lines(r.objects).splitlines()) == len(r.objects)

def test_same_seed_same_bytes():
    a = scene_batch(np.random.default_rng(7), 2, shape=(64, 64), pixel_size_nm=50.0, n_particles=2, n_debris=1)
    b = scene_batch(np.random.default_rng(7), 2, shape=(64, 64), pixel_size_nm=50.0, n_particles=2, n_debris=1)
    assert all(np.array_equal(a[k], b[k]) for k in a)

def test_classes_and_errors():
    assert class_id("bowtie", 1) == 0 and class_id("bowtie", -1) == 1 and CLASSES[class_id("kayak", 0)] == "kayak"
    with pytest.raises(ValueError, match="unknown particle kind"): sample_particle(np.random.default_rng(0), "cube")
    with pytest.raises(ValueError, match="pixel size"): sample_scene(np.random.default_rng(0), pixel_size_nm=0)
    with pytest.raises(ValueError, match="max_overlap"): sample_scene(np.random.default_rng(0), max_overlap=2)
    with pytest.raises(ValueError, match="no YOLO class"): class_id("debris", 0)

def test_sections():
    r = rect_top(np.array([0.0, 2.0]), 1.0, 0.2, 0.0)
    assert r[0] == pytest.approx(0.2) and np.isneginf(r[1])
    assert ellipse_top(0.0, 1.0, 0.5, 0.0) == pytest.approx(0.5)

def test_grain_follows_the_callers_seed():
    "The substrate grain is drawn from the caller's generator: same seed, same image; another seed, another image."
    from chiral_em.sim.sem import grain, sample_imaging
    g = grain((64, 80), 1.0, np.random.default_rng(3))
    assert np.array_equal(g, grain((64, 80), 1.0, np.random.default_rng(3)))
    assert not np.array_equal(g, grain((64, 80), 1.0, np.random.default_rng(4)))
    sc = sample_scene(np.random.default_rng(0), (64, 64), 50.0, 1, ALL)
    sc = replace(sc, imaging=replace(sc.imaging, texture=0.1, probe_sigma=0.0, dose=1e6, drift=0.0))
    a, b = render_scene(sc, np.random.default_rng(1)).image, render_scene(sc, np.random.default_rng(2)).image
    assert not np.array_equal(a, b)

def test_bowtie_images_labels():
    from chiral_em.sim.sem import bowtie_images
    d = bowtie_images(np.random.default_rng(1), 4, size=24, render=48)
    assert d["image"].dtype == np.uint8 and ((d["hand"] != 0) == (d["label"] == 1)).all()
    assert np.array_equal(d["image"], bowtie_images(np.random.default_rng(1), 4, size=24, render=48)["image"])

@FAST
@given(seeds, st.floats(0, 2*math.pi), st.sampled_from([1, -1]))
def test_outline_hand_survives_rotation_not_mirror(seed, angle, h):
    "The splayed outline of a rotated bowtie matches its rotated copy, never its mirror (the outline is chiral)."
    n, px = 160, 0.04
    c = (n*px/2, n*px/2)
    p = replace(sample_particle(np.random.default_rng(seed), "bowtie", x=c[0], y=c[1], hand=h), tilt=0.0, roll=0.0)
    p = replace(p, length=min(p.length, 0.8*n*px))
    q = rotate_particle(p, angle, c)
    mask = lambda s: zbuffer(Scene((n, n), 1000*px, [s]))[1] == 1
    same, mirror = mask(q), mask(rotate_particle(mirror_particle(p, n*px), angle, c))
    assert (same != mirror).sum() > 0.02*same.sum()

def test_debris_does_not_depend_on_the_class():
    "bowtie_images draws debris sizes from one range with and without a bowtie."
    from chiral_em.sim.sem import BOWTIE_RANGES
    import inspect, chiral_em.sim.sem as sem
    assert "big" not in inspect.getsource(sem.bowtie_images) and len(BOWTIE_RANGES["debris_scale"]) == 2

def test_texture_is_anti_aliased():
    "Sub-pixel surface detail averages out: striation and grain amplitude fall with the pixel size."
    from chiral_em.sim.particles import _striae
    from chiral_em.sim.sem import texture, Imaging
    p = replace(sample_particle(np.random.default_rng(0), "bowtie"), stria=0.1)
    s, t = np.zeros(200), np.linspace(0, 1, 200)
    amp = [np.ptp(_striae(p, s, t, 0*s, px)) for px in (0.005, 0.05, 0.1)]
    assert amp[0] > 0.9 and amp[2] < 0.05 and amp[0] > amp[1] > amp[2]
    im = Imaging(texture=0.1, grain_nm=15.0, relief=0.0)
    sd = [texture((128, 128), im, px, np.random.default_rng(1)).std() for px in (5.0, 100.0)]
    assert sd[0] == pytest.approx(0.1, rel=0.05) and sd[1] < 0.03

@pytest.mark.parametrize("shape,px", [((64, 64), 100.0), ((300, 200), 5.0), ((1024, 1024), 20.0)])
def test_data_bar_fits(shape, px):
    "The data bar's text lies inside the image (no white pixel in the rightmost column of the bar)."
    from chiral_em.sim.sem import add_bars, Imaging
    img = add_bars(np.zeros(shape, np.uint8), px/1000, Imaging(), scale_bar=True, data_bar=True)
    bar = img[shape[0]:]
    assert bar.shape[0] > 0 and bar.max() == 255 and bar[:, -1].max() < 128 and bar[:, 0].max() < 128
    assert bar[0].max() < 128 and bar[-1].max() < 128           # nothing cut at the top or bottom either

def test_units_use_micro_sign():
    "Lengths print with a real µ (DejaVu Sans from matplotlib's own data folder, offline)."
    from chiral_em.sim.sem import _length_label, _font_path
    from pathlib import Path
    assert _length_label(5) == "5 µm" and _length_label(0.2) == "200 nm" and Path(_font_path()).exists()

def test_crowded_scene_same_bytes():
    "Aggregated and standing particles render deterministically; boxes contain masks."
    kw = dict(n_debris=4, p_cluster=0.8, p_standing=0.5, max_overlap=0.5)
    a = render_scene(sample_scene(np.random.default_rng(5), (160, 160), 30.0, 6, ALL, **kw), np.random.default_rng(6))
    b = render_scene(sample_scene(np.random.default_rng(5), (160, 160), 30.0, 6, ALL, **kw), np.random.default_rng(6))
    assert np.array_equal(a.image, b.image) and len(a.objects) >= 2
    for o in a.objects:
        x0, y0, x1, y1 = o["box"]
        assert (a.instances == o["id"]).sum() == (a.instances[y0:y1, x0:x1] == o["id"]).sum()

def test_bundle_striations_show_the_hand():
    """A bundle's helical striations read its hand in any in-plane rotation and the opposite hand in the mirror.

    A rate, not every case: hypothesis found bundles the slope statistic gets wrong (seed 849 at 3.0 rad; seed 16 at
    1.0 rad), so the test fixes 40 bundles × 3 angles × (particle, mirror) and asks for ≥ 95 % right (measured: 239 of
    240)."""
    from chiral_em.sim.sem import striation_handedness
    n, px = 200, 0.03
    c = (n*px/2, n*px/2)
    right = total = 0
    for seed in range(40):
        p = sample_particle(np.random.default_rng(seed), "bundle", x=c[0], y=c[1])
        p = replace(p, length=min(p.length, 0.9*n*px))
        for angle in (0.0, 1.0, 3.0):
            for q, h in ((rotate_particle(p, angle, c), p.hand),
                         (rotate_particle(mirror_particle(p, n*px), angle, c), -p.hand)):
                z, ids, _ = zbuffer(Scene((n, n), 1000*px, [q]))
                right += striation_handedness(z, ids == 1, px) == h
                total += 1
    assert right / total >= 0.95, f"{right} of {total}"

def _heights(p, n=240, px=0.025):
    z = zbuffer(Scene((n, n), 1000*px, [p]))[0]
    return z, zbuffer(Scene((n, n), 1000*px, [mirror_particle(p, n*px)]))[0]

@FAST
@given(seeds, st.sampled_from(["kayak", "pancake", "bundle"]))
def test_achiral_kinds_are_their_own_mirror(seed, kind):
    """Kayaks and pancake stacks equal their mirror image turned back by 180° (pixel for pixel at phi = 0); a bundle
    keeps the same outline (IoU ≈ 1) but its surface detail differs (the fibres' helices reverse)."""
    from scipy import ndimage as ndi
    n, px = 240, 0.025
    p = replace(sample_particle(np.random.default_rng(seed), kind, x=n*px/2, y=n*px/2), phi=0.0, tilt=0.0, roll=0.0)
    p = replace(p, length=min(p.length, 0.9*n*px))
    z, zm = _heights(p, n, px)
    zr = zm[::-1, ::-1]                                         # the mirror's axis points at pi: turn it back
    m, mr = z > 0, zr > 0
    iou = (m & mr).sum()/(m | mr).sum()
    hp = lambda a: a - ndi.gaussian_filter(a, 2)
    u = ndi.binary_erosion(m & mr, iterations=3)
    detail = np.corrcoef(hp(z)[u], hp(zr)[u])[0, 1]
    if kind == "bundle": assert iou > 0.9 and detail < 0.9
    else: assert iou > 0.999 and detail > 0.999 and np.abs(z - zr).max() < 1e-4

@pytest.mark.parametrize("kind", ["kayak", "pancake"])
def test_achiral_outline_matches_mirror_after_best_rotation(kind):
    "At a random angle the mirrored outline, rotated by the best of 360 steps, overlaps the original (IoU ≥ 0.9)."
    from scipy import ndimage as ndi
    n, px = 160, 0.04
    for seed in range(3):
        p = replace(sample_particle(np.random.default_rng(seed), kind, x=n*px/2, y=n*px/2), tilt=0.0)
        p = replace(p, length=min(p.length, 0.9*n*px))
        z, zm = _heights(p, n, px)
        m = z > 0
        best = max(((ndi.rotate(zm, a, reshape=False, order=1) > 0.5*z[m].min()) & m).sum()
                   / ((ndi.rotate(zm, a, reshape=False, order=1) > 0.5*z[m].min()) | m).sum() for a in np.arange(0, 360, 1.0))
        assert best > 0.9, (kind, seed, best)

def test_charging_glow_builds_up_and_is_off_for_chapter_01():
    "The glow brightens a charging object more late in the scan than early, spills around it, and draws nothing when off."
    import inspect
    import chiral_em.sim.sem as sem
    ids = np.zeros((120, 160), np.int32); ids[40:70, 50:90] = 1
    adds = [sem.charging_glow(np.full(ids.shape, 0.3, np.float32), ids, np.random.default_rng(s)) for s in range(20)]
    add = next(a for a in adds if a.max() > 0)
    assert add[65, 70] > add[42, 70] > 0 and add[80, 70] > 0
    a = sem.acquire(np.full(ids.shape, 0.3, np.float32), sem.Imaging(), np.random.default_rng(1), ids, 20.0)
    b = sem.acquire(np.full(ids.shape, 0.3, np.float32), sem.Imaging(glow=1.0), np.random.default_rng(1), ids, 20.0)
    assert a.mean() < b.mean()
    assert "glow=0.0" in inspect.getsource(sem.bowtie_images) and sem.sample_imaging(np.random.default_rng(0)).glow > 0
