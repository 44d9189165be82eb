"Tests of the SEM composition engine (chiral_em.sim.compose): cut-outs, mirrors, inpainting, compose, data sets, CLI."
import functools
from dataclasses import replace
from pathlib import Path
import numpy as np
import pytest
from scipy import ndimage as ndi
from hypothesis import given, settings, strategies as st, HealthCheck
from PIL import Image
from chiral_em.emio import write_label_tif
from chiral_em.sim import sem
from chiral_em.sim.compose import (CutOut, INPAINT_METHODS, compose, cut_out, fill_region, inpaint, load_sources,
                                   main, mirror, seam_score, swap_pairs, synth_dataset)

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SWAP = swap_pairs(sem.CLASSES)

@functools.lru_cache(maxsize=None)
def scene(seed:int, particles:bool=True):
    "A small rendered bowtie scene (192 px, 40 nm/px), charging off."
    sc = sem.sample_scene(np.random.default_rng(seed), (192, 192), 40.0, 3, max_overlap=0.0)
    sc = replace(sc, imaging=replace(sc.imaging, charging=0.0, glow=0.0))
    return sem.render_scene(sc if particles else replace(sc, particles=[]), np.random.default_rng([seed, 1]))

def classes_of(r): return {o["id"]: (o["cls"], o["hand"]) for o in r.objects}

def sources(seeds=(0, 1, 2)):
    return [(scene(s).image, scene(s).instances, classes_of(scene(s)), 40.0, f"s{s}") for s in seeds]

@functools.lru_cache(maxsize=None)
def database():
    cuts = [c for s in range(4) for c in cut_out(scene(s).image, scene(s).instances, classes_of(scene(s)), 40.0)]
    assert cuts, "the test scenes should hold isolated particles"
    return cuts

@functools.lru_cache(maxsize=None)
def background(): return inpaint(scene(0).image, scene(0).instances > 0)

def random_cutout(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(3, 20, 2)
    return CutOut(rng.random((h, w), dtype=np.float32), rng.random((h, w), dtype=np.float32),
                  int(rng.integers(6)), int(rng.choice([-1, 0, 1])), 10.0, "x", 1.0, 2.0)

@FAST
@given(st.integers(0, 2**32 - 1))
def test_mirror_swaps_class_negates_hand_and_is_an_involution(seed):
    c = random_cutout(seed)
    m = mirror(c, SWAP)
    assert m.hand == -c.hand and m.cls == SWAP[c.cls]
    assert np.array_equal(m.image, c.image[:, ::-1]) and np.array_equal(m.alpha, c.alpha[:, ::-1])
    mm = mirror(m, SWAP)
    assert (mm.cls, mm.hand, mm.source) == (c.cls, c.hand, c.source)
    assert np.array_equal(mm.image, c.image) and np.array_equal(mm.alpha, c.alpha)

def test_swap_pairs():
    assert swap_pairs(["bowtie_R", "bowtie_L"]) == {0: 1, 1: 0}
    assert swap_pairs(["R", "L", "kayak"]) == {0: 1, 1: 0, 2: 2}

@pytest.mark.parametrize("seed", range(4))
def test_cutout_alpha(seed):
    "Alpha is in [0, 1], 1 inside the particle (2 px from its outline), 0 far outside; > 0.5 exactly on the mask."
    r = scene(seed)
    for c in cut_out(r.image, r.instances, classes_of(r), 40.0, source="t"):
        k = int(c.source.split("#")[1])
        assert c.alpha.min() >= 0 and c.alpha.max() <= 1 and c.alpha.dtype == np.float32
        ys, xs = np.nonzero(r.instances == k)
        y0, x0 = ys.min() - 6, xs.min() - 6                     # crop origin: margin 4 + ceil(feather) = 6 px
        m = np.zeros(c.alpha.shape, bool)
        m[ys - max(y0, 0), xs - max(x0, 0)] = True
        assert (c.alpha[ndi.distance_transform_edt(m) >= 2] == 1).all()
        assert (c.alpha[ndi.distance_transform_edt(~m) >= 2] == 0).all()
        assert np.array_equal(c.alpha > 0.5, m)
        assert c.bg_noise > 0

def test_cutout_errors():
    r = scene(0)
    with pytest.raises(ValueError, match="differs"): cut_out(r.image, r.instances[1:], {}, 40.0)
    with pytest.raises(ValueError, match="integers"): cut_out(r.image, r.instances.astype(float), {}, 40.0)
    with pytest.raises(ValueError, match="pixel_size_nm"): cut_out(r.image, r.instances, {}, -1)
    with pytest.raises(ValueError, match="2-D"): cut_out(r.image, r.instances[None, None, :, :2], {}, 40.0)

@FAST
@given(st.integers(0, 5), st.sampled_from(INPAINT_METHODS), st.booleans(), st.integers(0, 4))
def test_inpaint_changes_only_the_grown_mask(seed, method, texture, dilate):
    r = scene(seed)
    f = inpaint(r.image, r.instances > 0, method, dilate_px=dilate, texture=texture, rng=np.random.default_rng(seed))
    region = fill_region(r.instances > 0, dilate)
    assert f.dtype == np.float32 and f.shape == r.image.shape
    assert np.array_equal(f[~region], r.image[~region].astype(np.float32))

def test_texture_matches_the_substrate():
    "With matched noise the fill's texture and border score near 1 (truth: 1), without it far below."
    r, t = scene(0), scene(0, False)
    reg = fill_region(r.instances > 0, 3)
    smooth = seam_score(inpaint(r.image, r.instances > 0, texture=False), reg, t.image)
    noisy = seam_score(inpaint(r.image, r.instances > 0, texture=True), reg, t.image)
    assert smooth["texture"] < 0.3 and 0.7 < noisy["texture"] < 1.3 and 0.8 < noisy["edge"] < 1.2
    assert set(noisy) == {"edge", "texture", "rmse", "rmse_low"}

@FAST
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.floats(0, 1))
def test_compose_labels_match_pasted_alpha(seed, n, p_right):
    bg = background()
    img, objs, top = compose(np.random.default_rng(seed), database(), bg, 40.0, n, p_right, brightness=False,
                             instances=True)
    assert img.dtype == np.uint8 and img.shape == bg.shape and objs
    for o in objs:
        x0, y0, x1, y1 = o["box"]
        assert 0 <= x0 < x1 <= 192 and 0 <= y0 < y1 <= 192
        assert all(0 <= v <= 1 for v in o["yolo"]) and o["visible"] >= 0.5
        ys, xs = np.nonzero(top == o["id"])
        assert [x0, y0, x1, y1] == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        assert np.isclose(o["yolo"][0], (x0 + x1)/2/192) and np.isclose(o["yolo"][3], (y1 - y0)/192)
        assert o["cls"] == SWAP[o["cls"]] ^ 1 and o["cls"] == (0 if o["hand"] > 0 else 1)
    # without brightness matching the background changes only under the pasted soft masks: the 1.5 px ramp
    # outside the outline, × 1.25 (largest scale), + 1 px of rotation interpolation, rounded up
    changed = np.abs(img - np.clip(bg, 0, 255)) > 1                 # more than rounding
    assert (ndi.distance_transform_edt(top == 0)[changed] <= 4).all()


def test_compose_handedness_from_one_cutout():
    "A database of a single cut-out gives both hands; p_right = 1 / 0 gives only right / left."
    bg = inpaint(scene(0).image, scene(0).instances > 0)
    one = database()[:1]
    for p, hand in ((1.0, 1), (0.0, -1)):
        hands = [o["hand"] for s in range(10) for o in compose(np.random.default_rng(s), one, bg, 40.0, 3, p)[1]]
        assert hands and set(hands) == {hand}

def test_compose_same_rng_same_bytes():
    bg = inpaint(scene(1).image, scene(1).instances > 0)
    a = compose(np.random.default_rng(7), database(), bg, 40.0, 6, shape=(256, 320))
    b = compose(np.random.default_rng(7), database(), bg, 40.0, 6, shape=(256, 320))
    assert a[0].shape == (256, 320) and a[0].tobytes() == b[0].tobytes() and a[1] == b[1]

def files(out):
    out = Path(out)
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.glob("*/*/*")) if p.suffix in (".png", ".txt")}

def test_synth_same_seed_same_bytes_and_resume(tmp_path):
    kw = dict(size=192, progress=False)
    m1 = synth_dataset(tmp_path/"a", sources(), 6, seed=3, **kw)
    m2 = synth_dataset(tmp_path/"b", sources(), 6, seed=3, **kw)
    fa = files(tmp_path/"a")
    assert len(fa) == 12 and fa == files(tmp_path/"b") and m1["written"] == m2["written"] == 6
    assert m1["counts"] == m2["counts"]
    assert (tmp_path/"a"/"data.yaml").read_text().endswith("names:\n  0: bowtie_R\n  1: bowtie_L\n")
    pngs, txts = sorted((tmp_path/"a").glob("images/*/*.png")), sorted((tmp_path/"a").glob("labels/*/*.txt"))
    pngs[0].unlink()
    txts[-1].unlink()
    (tmp_path/"a"/"database.npz").unlink()                              # rebuilt identically
    m3 = synth_dataset(tmp_path/"a", sources(), 6, seed=3, **kw)
    assert m3["written"] == 2 and files(tmp_path/"a") == fa
    assert synth_dataset(tmp_path/"a", sources(), 6, seed=3, **kw)["written"] == 0
    assert synth_dataset(tmp_path/"a", sources(), 8, seed=3, **kw)["written"] == 2       # n may grow
    with pytest.raises(ValueError, match="other sources or parameters"):
        synth_dataset(tmp_path/"a", sources(), 6, seed=4, **kw)
    other = synth_dataset(tmp_path/"c", sources(), 6, seed=4, **kw)
    assert files(tmp_path/"c") != fa and other["written"] == 6

@pytest.mark.parametrize("scheduler", ["threads", "local", "address"])
def test_schedulers_give_identical_bytes(tmp_path, scheduler):
    synth_dataset(tmp_path/"sync", sources(), 5, size=160, progress=False)
    if scheduler == "address":                                          # a running dask scheduler, by its address
        from dask.distributed import LocalCluster
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            synth_dataset(tmp_path/"par", sources(), 5, size=160, progress=False,
                          scheduler=cluster.scheduler_address)
    else:
        synth_dataset(tmp_path/"par", sources(), 5, size=160, progress=False, scheduler=scheduler)
    assert files(tmp_path/"sync") == files(tmp_path/"par") and len(files(tmp_path/"sync")) == 10

def write_folder(d:Path, seeds=(0, 1)):
    (d/"img").mkdir(parents=True)
    for s in seeds:
        Image.fromarray(scene(s).image).save(d/"img"/f"s{s}.png")
        write_label_tif(d/"masks"/f"s{s}.tif", scene(s).instances)
    return d/"img", d/"masks"

def test_bad_files_are_named_and_skipped(tmp_path, capsys):
    img, masks = write_folder(tmp_path)
    (img/"broken.png").write_bytes(b"not a png")
    Image.fromarray(scene(2).image).save(img/"nomask.png")
    Image.fromarray(scene(2).image).save(img/"wrong.png")
    write_label_tif(masks/"wrong.tif", scene(2).instances[:50])
    srcs, skipped = load_sources(img, masks, ["bowtie_R", "bowtie_L"], pixel_size=40.0)
    assert [s[4] for s in srcs] == ["s0.png", "s1.png"]
    why = {p.name: r for p, r in skipped}
    assert set(why) == {"broken.png", "nomask.png", "wrong.png"}
    assert "no mask" in why["nomask.png"] and "shape" in why["wrong.png"]
    err = capsys.readouterr().err
    assert all(n in err for n in why)
    # without a class table every particle is the first class, right-handed
    assert all(v == (0, 1) for s in srcs for v in s[2].values())

def test_class_table(tmp_path):
    img, masks = write_folder(tmp_path, (0,))
    ids = [int(k) for k in np.unique(scene(0).instances) if k > 0]
    (tmp_path/"c.csv").write_text("image,instance,class\n" + f"s0.png,{ids[0]},bowtie_L\n")
    srcs, _ = load_sources(img, masks, ["bowtie_R", "bowtie_L"], tmp_path/"c.csv", 40.0)
    assert srcs[0][2] == {ids[0]: (1, -1)}
    (tmp_path/"bad.csv").write_text("image,instance,class\ns0.png,1,spiral\n")
    with pytest.raises(ValueError, match="bad.csv, line 2"):
        load_sources(img, masks, ["bowtie_R", "bowtie_L"], tmp_path/"bad.csv", 40.0)

def test_cli_writes_a_dataset(tmp_path, capsys):
    img, masks = write_folder(tmp_path)
    out = tmp_path/"out"
    rc = main(["--images", str(img), "--masks", str(masks), "--n", "3", "--out", str(out), "--size", "160",
               "--n-particles", "2", "3", "--p-right", "1"])
    assert rc == 0
    assert "no pixel size" in capsys.readouterr().err                  # PNGs carry none: 1 nm/px, with a warning
    assert (out/"data.yaml").exists() and (out/"meta.json").exists()
    assert len(list(out.glob("images/*/*.png"))) == 3 and len(list(out.glob("labels/*/*.txt"))) == 3
    lines = [ln for p in out.glob("labels/*/*.txt") for ln in p.read_text().splitlines()]
    assert lines and all(ln.split()[0] == "0" for ln in lines)          # p_right = 1: all bowtie_R
    assert (out/"data.yaml").read_text().startswith(f"path: {out.resolve()}\ntrain: images/train\nval: images/val")
    (tmp_path/"empty").mkdir()
    assert main(["--images", str(tmp_path/"empty"), "--masks", str(masks), "--n", "1", "--out", str(out)]) == 1
    assert "no usable source" in capsys.readouterr().err
    # the same folder with other parameters: refused, not mixed
    assert main(["--images", str(img), "--masks", str(masks), "--n", "3", "--out", str(out), "--size", "128"]) == 1
    assert "other sources or parameters" in capsys.readouterr().err

def test_compose_resamples_the_background_and_cutouts():
    "A background at 20 nm/px composed at 40 nm/px is halved; particles shrink with it (cut-outs imaged at 40 nm/px)."
    bg = inpaint(scene(0).image, scene(0).instances > 0)
    img, objs = compose(np.random.default_rng(0), database(), bg, 80.0, 4, bg_pixel_size_nm=40.0)
    assert img.shape == (96, 96)
    big = compose(np.random.default_rng(0), database(), bg, 40.0, 4)[1]
    area = lambda o: (o["box"][2] - o["box"][0])*(o["box"][3] - o["box"][1])
    assert objs and big and np.mean([area(o) for o in objs]) < 0.5*np.mean([area(o) for o in big])

def test_synth_rejects_bad_parameters(tmp_path):
    with pytest.raises(ValueError, match="n_particles"): synth_dataset(tmp_path, sources(), 1, n_particles=(3, 1))
    with pytest.raises(ValueError, match="p_right"): synth_dataset(tmp_path, sources(), 1, p_right=1.5)
    with pytest.raises(ValueError, match="no sources"): synth_dataset(tmp_path, [], 1)

def test_synth_at_a_target_pixel_size(tmp_path):
    m = synth_dataset(tmp_path, sources(), 3, size=128, pixel_size_nm=60.0, progress=False)
    assert m["pixel_size_nm"] == 60.0 and m["written"] == 3
    assert all(Image.open(p).size == (128, 128) for p in tmp_path.glob("images/*/*.png"))
