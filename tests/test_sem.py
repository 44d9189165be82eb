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
def test_rotation_keeps_handedness(seed, angle):
    "In-plane rotation never changes handedness (label or image-geometry estimate); a mirror flips both."
    rng = np.random.default_rng(seed); px, n = 0.03, 200
    c = (n*px/2, n*px/2)
    p = sample_particle(rng, "bowtie", x=c[0], y=c[1])
    p = replace(p, length=min(p.length, 0.9*n*px), roll=0.0, twist=max(p.twist, math.radians(15)))
    q = rotate_particle(p, angle, c)
    assert q.hand == p.hand and mirror_particle(q, n*px).hand == -p.hand
    z, ids, _ = zbuffer(Scene((n, n), 1000*px, [q]))
    assert twist_handedness(z, ids == 1, px) == p.hand
    zm, idm, _ = zbuffer(Scene((n, n), 1000*px, [mirror_particle(q, n*px)]))
    assert twist_handedness(zm, idm == 1, px) == -p.hand

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
