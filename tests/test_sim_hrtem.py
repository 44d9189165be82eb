"Tests of the HRTEM engines (chiral_em.sim.optics, chiral_em.sim.hrtem)."
import numpy as np, pytest
from chiral_em.sim.optics import wavelength, mtf, detect, ctf_image, draw_imaging
from chiral_em.sim.hrtem import (make_cluster, orient, column_positions, column_map, particle_mask,
                                 generate_structures, make_batch, LATTICE)

def test_wavelength():
    assert abs(wavelength(200e3) - 0.025079) < 1e-5 and abs(wavelength(300e3) - 0.019687) < 1e-5
    with pytest.raises(ValueError): wavelength(0)

def test_clusters_and_orientation():
    c = make_cluster("Au", "cuboctahedron", 12.)
    assert len(c) == 147
    for z in ("100", "110", "111"):
        o = orient(c, z, tilt=4., tilt_azimuth=20., rotation=50.)
        np.testing.assert_allclose(np.linalg.norm(o.positions, axis=1), np.linalg.norm(c.positions, axis=1), atol=1e-9)
    for s in ("truncated_octahedron", "decahedron", "icosahedron"):
        assert np.ptp(make_cluster("Pt", s, 15.).positions[:, :2], 0).max() >= 15.
    with pytest.raises(ValueError, match="shape"): make_cluster("Au", "cube")

def test_columns_on_zone_axis():
    "[100] projection: square column lattice a/2 apart; atom counts add up; tilt smears columns into more clusters."
    c = make_cluster("Au", "cuboctahedron", 15.)
    cols, n = column_positions(orient(c, "100").positions[:, :2])
    assert n.sum() == len(c)
    d = np.sort(np.linalg.norm(cols[:, None] - cols[None], axis=-1), 1)[:, 1]
    assert abs(np.median(d) - LATTICE["Au"] / 2) < 0.05
    assert len(column_positions(orient(c, "100", tilt=10.).positions[:, :2])[0]) > len(cols)

def test_labels():
    cm = column_map(np.array([[5.1, 3.1]]), (50, 50), 0.2)
    assert np.unravel_index(cm.argmax(), cm.shape) == (15, 25)
    m = particle_mask(orient(make_cluster("Au", "cuboctahedron", 12.), "110").positions[:, :2] + 5, (50, 50), 0.2)
    assert m[25, 25] == 1 and m[0, 0] == 0

def test_mtf_and_detection():
    np.testing.assert_allclose(mtf(np.array([0., 0.5]), 0.1, 0.5, 2.5), [1., 0.55])
    assert abs(detect(np.ones((64, 64)), 100., 0.2, np.random.default_rng(0)).mean() - 4.) < 0.1
    np.testing.assert_allclose(ctf_image(np.ones((32, 32), np.complex64), 0.1, 300e3, 100., 1e4, 40.), 1., atol=1e-5)
    with pytest.raises(ValueError, match="dose"): detect(np.ones((8, 8)), 0., 0.2, np.random.default_rng(0))

def test_generate_is_seeded():
    kw = dict(out_px=48, sampling=0.2, diameter=(6., 8.), support=(2., 4.))
    a = generate_structures(np.random.default_rng(7), 1, **kw); b = generate_structures(np.random.default_rng(7), 1, **kw)
    np.testing.assert_allclose(a["wave"], b["wave"], atol=1e-4); np.testing.assert_array_equal(a["mask"], b["mask"])
    x, y = make_batch(a, 0, np.random.default_rng(0), ["mask", "colmap_stem"], "stem")
    assert x.shape == (1, 1, 48, 48) and y.shape == (1, 2, 48, 48)
    with pytest.raises(ValueError, match="mode"): make_batch(a, 0, np.random.default_rng(0), mode="sem")


def test_exit_wave_same_bytes_in_every_process():
    """Same structure → same exit-wave bytes in separate processes (FFTW plans chosen without timing); the setting is
    process-wide (a `with` block was not thread-safe under dask's threaded scheduler, see `hrtem.abtem_deterministic`)."""
    import subprocess, sys
    code = ("import hashlib, numpy as np, abtem\n"
            "from chiral_em.sim.hrtem import draw_spec, build_scene, exit_wave\n"
            "scene, _, _ = build_scene(draw_spec(np.random.default_rng(3), out_px=64))\n"
            "w = exit_wave(scene, 200e3, 0.1)\n"
            "assert abtem.config.get('fftw.planning_effort') == 'FFTW_ESTIMATE'\n"
            "print(hashlib.sha1(w.tobytes()).hexdigest())\n")
    out = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
           for _ in range(2)]
    assert out[0] == out[1] and len(out[0]) == 40, out
