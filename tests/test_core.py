"Cached datasets: stable keys, same seed ⇒ same bytes, resume after a killed run; profile table consistency."
import json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path

import numpy as np
import pytest

from chiral_em.core import PROFILES, cached_dataset, check_profiles, dataset_key, get_profile, load_profiles

ROOT = Path(__file__).resolve().parents[1]


def gen(rng, count, scale=1.0):
    return {"img": (rng.random((count, 8, 8))*scale).astype(np.float32), "label": rng.integers(0, 3, count)}


def shard_bytes(ds):
    return {f.name: f.read_bytes() for f in sorted(ds.path.glob("shard_*.npz"))}


def test_same_seed_same_bytes(tmp_path):
    a = cached_dataset("d", gen, 50, seed=7, shard_size=16, root=tmp_path/"a", progress=False)
    b = cached_dataset("d", gen, 50, seed=7, shard_size=16, root=tmp_path/"b", progress=False)
    assert a.key == b.key and shard_bytes(a) == shard_bytes(b) and len(shard_bytes(a)) == 4
    c = cached_dataset("d", gen, 50, seed=8, shard_size=16, root=tmp_path/"c", progress=False)
    assert not np.array_equal(a["img"], c["img"])


def test_key_is_stable_across_processes_and_dict_order():
    k1 = dataset_key("d", {"a": 1, "b": [1, 2]}, 3, "1", 16, gen)
    assert k1 == dataset_key("d", {"b": [1, 2], "a": 1}, 3, "1", 16, gen)
    code = ("import sys; sys.path.insert(0, %r); from test_core import gen; from chiral_em.core import dataset_key; "
            "print(dataset_key('d', {'a': 1, 'b': [1, 2]}, 3, '1', 16, gen))" % str(Path(__file__).parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert out.stdout.strip() == k1
    for changed in [dict(params={"a": 2, "b": [1, 2]}), dict(seed=4), dict(version="2"), dict(shard_size=8)]:
        kw = dict(name="d", params={"a": 1, "b": [1, 2]}, seed=3, version="1", shard_size=16, generate=gen) | changed
        assert dataset_key(**kw) != k1, changed


def test_prefix_property(tmp_path):
    small = cached_dataset("d", gen, 20, shard_size=16, root=tmp_path, progress=False)
    big = cached_dataset("d", gen, 70, shard_size=16, root=tmp_path, progress=False)
    np.testing.assert_array_equal(big["img"][:20], small["img"])


def test_generator_contract_is_checked(tmp_path):
    with pytest.raises(ValueError, match="rows"):
        cached_dataset("bad", lambda rng, count: {"x": np.zeros(count + 1)}, 5, shard_size=4, root=tmp_path, progress=False)
    with pytest.raises(ValueError, match="n must be"):
        cached_dataset("bad", gen, 0, root=tmp_path, progress=False)


SLOW_GEN = textwrap.dedent('''
    import sys, time, numpy as np
    from chiral_em.core import cached_dataset
    def slow(rng, count):
        time.sleep(0.4)
        return {"x": rng.normal(size=(count, 32)).astype(np.float32)}
    cached_dataset("slow", slow, 40, seed=1, shard_size=4, root=sys.argv[1], progress=False)
    print("complete")
''')


def test_resume_after_kill(tmp_path):
    "Kill a generation mid-way (SIGKILL: no cleanup runs); the rerun finishes it, byte-identical to an unbroken run."
    script = tmp_path/"gen.py"; script.write_text(SLOW_GEN)
    run = lambda root: subprocess.run([sys.executable, str(script), str(root)], capture_output=True, text=True, timeout=120)
    p = subprocess.Popen([sys.executable, str(script), str(tmp_path/"killed")])
    deadline = time.time() + 60
    while time.time() < deadline and len(list((tmp_path/"killed").glob("slow/*/shard_*.npz"))) < 3: time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    n_done = len(list((tmp_path/"killed").glob("slow/*/shard_*.npz")))
    assert 3 <= n_done < 10, n_done
    assert "complete" in run(tmp_path/"killed").stdout
    assert "complete" in run(tmp_path/"fresh").stdout
    (dk,), (df,) = (tmp_path/"killed"/"slow").iterdir(), (tmp_path/"fresh"/"slow").iterdir()
    names = sorted(f.name for f in dk.glob("shard_*.npz"))
    assert len(names) == 10 and not list(dk.glob(".*.tmp"))
    for n in names: assert (dk/n).read_bytes() == (df/n).read_bytes(), n


def test_profile_table_is_consistent():
    table = check_profiles()
    for ch in table:
        for p in PROFILES: get_profile(ch, p, table)


def notebooks():
    return sorted(p for p in (ROOT/"nbs").glob("[0-9]*.ipynb"))


CHAPTERS = ("00_core", "01_siamese", "04_superellipse", "05_hrtem")   # the book's chapters: they must stay runnable


@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: p.stem)
def test_parameters_cell_rules(nb):
    "A notebook with a `parameters` cell is a chapter (`reproduce` runs it): exactly one such cell, smoke by default."
    cells = json.loads(nb.read_text())["cells"]
    params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) <= 1, f"{nb.name}: {len(params)} cells tagged parameters"
    assert params or nb.stem not in CHAPTERS, f"{nb.name}: a chapter of the book needs its parameters cell"
    if params:
        src = "".join(params[0]["source"])
        assert 'profile = "smoke"' in src, f"{nb.name}: the parameters cell must default to profile = \"smoke\""
        assert nb.stem in load_profiles(), f"{nb.name}: no sections for {nb.stem!r} in chiral_em/profiles.toml"


def test_check_image_and_standardize():
    from chiral_em.core import ImageError, check_image, standardize
    from chiral_em.emio import ImageReadError, as_image2d
    assert ImageReadError is ImageError and as_image2d is check_image
    rgb = np.random.default_rng(0).integers(0, 255, (5, 6, 3), dtype=np.uint8)
    assert check_image(rgb).shape == (5, 6) and check_image(rgb).dtype == np.float32
    with pytest.raises(ImageError) as e: check_image(np.full((4, 4), 2.0), "a.tif")
    assert e.value.kind == "constant" and str(e.value).startswith("a.tif: ")
    x = np.random.default_rng(1).normal(5, 3, (7, 9))
    np.testing.assert_array_equal(standardize(x), ((x - x.mean()) / (x.std() + 1e-6)).astype(np.float32))


def test_threads_restores_count():
    import torch
    from chiral_em.core import threads
    n0 = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError
    assert torch.get_num_threads() == n0


def cmd(images:list[str],          # image files or folders
        pixel_size_nm:float=None,  # [nm/px]
        quiet:bool=False,          # print nothing
        ):
    "A test command."
    return len(images) + (10 if quiet else 0)


def test_run_command(capsys):
    from chiral_em.core import run_command
    assert run_command(cmd, ["a", "b", "--quiet", "--pixel-size-nm", "0.3"], "chiral-em x") == 12
    with pytest.raises(SystemExit) as e: run_command(cmd, ["--help"], "chiral-em x")
    out = capsys.readouterr().out
    assert e.value.code == 0 and "usage: chiral-em x" in out and "[nm/px]" in out and "--pixel-size-nm" in out, out
    with pytest.raises(SystemExit) as e: run_command(cmd, [], "chiral-em x")
    assert e.value.code == 2 and "required: images" in capsys.readouterr().err
