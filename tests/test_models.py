"Model files: every packaged model loads and runs; the user's folder overrides; missing and corrupt files fail clearly."
import importlib.util

import pytest
import torch

from chiral_em.models import ModelFileError, find_model, load_model, packaged_models, save_model, weights_dir

PACKAGED = packaged_models()


def test_packaged_models_are_small_and_named():
    assert {"shape_mask_cnn", "shape_cnn"} <= set(PACKAGED), PACKAGED
    for name, p in PACKAGED.items(): assert p.stat().st_size < 5 * 2**20, (name, p.stat().st_size)


@pytest.mark.parametrize("name", sorted(PACKAGED))
def test_packaged_model_loads_and_runs(name):
    arch = torch.load(PACKAGED[name], weights_only=True)["arch"]
    if importlib.util.find_spec(arch.split(":")[0]) is None:
        pytest.skip(f"{name}: architecture module {arch.split(':')[0]} is not importable yet")
    net, meta = load_model(find_model(name))
    assert not net.training
    for k in ("input_kind", "sampling", "pixel_size_nm", "profile", "data_version", "seed", "example_input"): assert k in meta
    with torch.no_grad(): y = net(torch.zeros(meta["example_input"]))
    assert torch.isfinite(y).all(), name


def _tiny(path):
    net = torch.nn.Linear(2, 1)
    net.init_kwargs = dict(in_features=2, out_features=1)
    return save_model(path, net, dict(input_kind="features", sampling=None, profile="smoke", data_version="1", seed=0,
                                      example_input=[1, 2]))


def test_find_model_prefers_the_users_folder(tmp_path, monkeypatch):
    _tiny(tmp_path/"shape_cnn.pt")
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(tmp_path))
    assert find_model("shape_cnn") == tmp_path/"shape_cnn.pt"
    assert find_model("shape_mask_cnn") == weights_dir()/"shape_mask_cnn.pt"   # not overridden: the packaged one
    net, meta = load_model(find_model("shape_cnn"))
    assert meta["example_input"] == [1, 2] and net(torch.zeros(1, 2)).shape == (1, 1)


def test_missing_model_lists_what_exists(monkeypatch, tmp_path):
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(tmp_path))
    with pytest.raises(FileNotFoundError) as e: find_model("no_such_model")
    msg = str(e.value)
    assert "no_such_model" in msg and "shape_mask_cnn" in msg and str(tmp_path) in msg, msg
    with pytest.raises(FileNotFoundError, match="no such model file"): load_model(tmp_path/"gone.pt")


def test_corrupt_file_names_the_file(tmp_path):
    good = _tiny(tmp_path/"good.pt")
    (tmp_path/"junk.pt").write_bytes(b"\x00garbage")
    (tmp_path/"cut.pt").write_bytes(good.read_bytes()[:200])
    torch.save(torch.nn.Linear(2, 1).state_dict(), tmp_path/"bare.pt")
    for name in ("junk", "cut", "bare"):
        with pytest.raises(ModelFileError) as e: load_model(tmp_path/f"{name}.pt")
        assert f"{name}.pt" in str(e.value) and e.value.path == tmp_path/f"{name}.pt", str(e.value)
