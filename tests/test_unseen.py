"Per-detection novelty of `chiral-em detect` (chapter 03): crop embeddings, the reference file, 'unknown' calls."
import json

import numpy as np
import pytest

from chiral_em import detect as D
from chiral_em.models import find_model, load_model

NAMES = ["bowtie_R", "bowtie_L"]


@pytest.fixture(scope="module")
def siamese():
    net, meta = load_model(find_model("bowtie_siamese"))
    return net, meta


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory):
    "An untrained narrow YOLOv8 exported to ONNX with a threshold low enough that it boxes something."
    from yolo_fixtures import tiny_detector
    return tiny_detector(tmp_path_factory.mktemp("yolo"), conf=0.0)[1]


def reference(path, net, centroid, threshold, **kw):
    "Write a novelty reference JSON for the shipped Siamese model."
    r = dict(embed_model="bowtie_siamese", embed_sha256=D._sha256(find_model("bowtie_siamese")), size=64,
             margin=2.5, centroid=np.asarray(centroid, float).tolist(), threshold=float(threshold), **kw)
    path.write_text(json.dumps(r))
    return path


def test_crop_embeddings_and_scores(siamese):
    net, _ = siamese
    img = (np.random.default_rng(0).random((90, 130))*255).astype(np.uint8)
    b = np.array([[10, 10, 40, 50], [60, 20, 120, 80]], np.float32)
    E = D.crop_embeddings(net, img, b)
    assert E.shape == (2, net.init_kwargs["emb"]) and np.isfinite(E).all()
    assert D.crop_embeddings(net, img, np.zeros((0, 4))).shape == (0, net.init_kwargs["emb"])
    s = D.novelty_scores(E, dict(centroid=E[1]))
    assert s[1] == pytest.approx(0, abs=1e-3) and s[0] > 0
    # the score depends on the crop only: a float image in [0, 1] of the same picture gives the same embedding
    np.testing.assert_allclose(D.crop_embeddings(net, img.astype(np.float32)/255, b), E, atol=1e-3)


def test_load_novelty_refuses_a_stale_reference(siamese, tmp_path):
    net, _ = siamese
    ok = reference(tmp_path/"ok.json", net, np.zeros(net.init_kwargs["emb"]), 5.0)
    (n, r), why = D.load_novelty(ok)
    assert why == "" and r["threshold"] == 5.0 and r["path"] == str(ok)
    stale = tmp_path/"stale.json"
    stale.write_text(json.dumps(dict(json.loads(ok.read_text()), embed_sha256="0"*64)))
    off, why = D.load_novelty(stale)
    assert off is None and "another" in why
    assert D.load_novelty(False) == (None, "switched off")


def test_load_novelty_finds_the_reference_by_name(siamese, tmp_path, monkeypatch):
    net, _ = siamese
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(tmp_path))
    reference(tmp_path/f"{D.NOVELTY_FILE}.json", net, np.zeros(net.init_kwargs["emb"]), 1.0)
    (n, r), why = D.load_novelty(True)
    assert why == "" and r["threshold"] == 1.0


@pytest.mark.parametrize("threshold, unknown", [(1e9, False), (-1.0, True)])
def test_detect_command_calls_unknown_and_leaves_them_out_of_the_counts(tiny_onnx, siamese, tmp_path, threshold,
                                                                         unknown, capsys):
    from PIL import Image
    net, _ = siamese
    src = tmp_path/"in"
    src.mkdir()
    Image.fromarray((np.random.default_rng(2).random((128, 128))*255).astype(np.uint8)).save(src/"a.png")
    ref = reference(tmp_path/"ref.json", net, np.zeros(net.init_kwargs["emb"]), threshold)
    s = D.detect_files([src], tmp_path/"out", model=tiny_onnx, second_stage=False, novelty=ref)
    n = sum(s["per_class"].values())
    assert n > 0, "the untrained detector at conf 0 should box something"
    assert s["novelty"]["threshold"] == threshold and s["novelty_off"] is None
    assert s["n_unknown"] == (n if unknown else 0)
    assert s["n_right"] + s["n_left"] == (0 if unknown else n)
    rows = (tmp_path/"out"/"detections.csv").read_text().splitlines()
    assert rows[0].endswith(",novelty,unknown") and len(rows) == n + 1
    assert all(r.endswith(",1" if unknown else ",0") for r in rows[1:])
    assert (tmp_path/"out"/"overlays"/"a.png").exists()   # unknown boxes drawn grey


def test_detect_command_without_reference_says_so(tiny_onnx, tmp_path, monkeypatch, capsys):
    from PIL import Image
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(tmp_path))     # holds no bowtie_novelty.json
    monkeypatch.setattr(D, "NOVELTY_FILE", "no_such_reference")
    src = tmp_path/"in"
    src.mkdir()
    Image.fromarray((np.random.default_rng(3).random((64, 64))*255).astype(np.uint8)).save(src/"a.png")
    assert D.main([str(src), "--out", str(tmp_path/"out"), "--model", str(tiny_onnx), "--no-second-stage"]) == 0
    assert "no 'unknown' calls" in capsys.readouterr().err
    s = json.loads((tmp_path/"out"/"summary.json").read_text())
    assert s["novelty"] is None and s["n_unknown"] == 0
    assert D.main([str(src), "--out", str(tmp_path/"o2"), "--model", str(tiny_onnx), "--no-second-stage",
                   "--no-novelty"]) == 0
    assert "no 'unknown' calls" not in capsys.readouterr().err


def oe_reference(path, models_dir, threshold, width=4):
    "Save an untrained `OENet` as `<models_dir>/oe_test.pt` and write an OE novelty reference naming it."
    from chiral_em.models import save_model
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mp = save_model(models_dir/"oe_test.pt", D.OENet(width), dict(input_kind="crop", sampling=None, profile="test",
                                                                  data_version="1", seed=0, example_input=[1, 1, 64, 64]))
    path.write_text(json.dumps(dict(scorer="oe", oe_model="oe_test", oe_sha256=D._sha256(mp), score="msp", size=64,
                                    margin=2.5, threshold=float(threshold))))
    return path


def test_oe_reference_loads_scores_and_refuses_a_stale_network(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(tmp_path))
    ref = oe_reference(tmp_path/"oe.json", tmp_path, -0.6)
    (net, r), why = D.load_novelty(ref)
    assert why == "" and isinstance(net, D.OENet) and r["scorer"] == "oe"
    img = (np.random.default_rng(1).random((100, 120))*255).astype(np.uint8)
    b = np.array([[10, 10, 40, 50], [60, 20, 110, 80]], np.float32)
    s = D.detection_novelty((net, r), img, b)
    assert s.shape == (2,) and ((s >= -1) & (s <= -0.5)).all()          # −max of two softmax probabilities
    e = D.oe_scores(net, D.hand_crops(D.to_unit(img), b, 64, 2.5)*255)["energy"]
    assert e.shape == (2,) and np.isfinite(e).all()
    assert D.detection_novelty((net, r), img, np.zeros((0, 4))).shape == (0,)
    stale = tmp_path/"stale.json"
    stale.write_text(json.dumps(dict(json.loads(ref.read_text()), oe_sha256="0"*64)))
    off, why = D.load_novelty(stale)
    assert off is None and "another" in why
    gone = tmp_path/"gone.json"
    gone.write_text(json.dumps(dict(json.loads(ref.read_text()), oe_model="no_such_model")))
    off, why = D.load_novelty(gone)
    assert off is None and "missing" in why


@pytest.mark.parametrize("threshold, unknown", [(1e9, False), (-2.0, True)])
def test_detect_command_with_an_oe_reference(tiny_onnx, tmp_path, monkeypatch, threshold, unknown):
    from PIL import Image
    monkeypatch.setenv("CHIRAL_EM_MODELS", str(tmp_path))
    src = tmp_path/"in"
    src.mkdir()
    Image.fromarray((np.random.default_rng(2).random((128, 128))*255).astype(np.uint8)).save(src/"a.png")
    ref = oe_reference(tmp_path/"oe.json", tmp_path, threshold)
    s = D.detect_files([src], tmp_path/"out", model=tiny_onnx, second_stage=False, novelty=ref)
    n = sum(s["per_class"].values())
    assert n > 0 and s["novelty"]["threshold"] == threshold
    assert s["n_unknown"] == (n if unknown else 0)
    assert s["n_right"] + s["n_left"] == (0 if unknown else n)


@pytest.mark.parametrize("name", ["bowtie_novelty", "bowtie_image_novelty"])
def test_shipped_novelty_references_load_with_their_networks(name):
    "The references chapter 03 ships name networks that are shipped too, with matching SHA-256 (else no 'unknown')."
    from chiral_em.embed import load_reference, file_sha256
    from chiral_em.models import find_model
    try: p = find_model(name, ".json")
    except FileNotFoundError: pytest.skip(f"{name}.json is not shipped (chapter 03 ships it in the cpu profile)")
    nov, why = load_reference(True, name)
    assert why == "" and nov is not None, why
    r = nov[1]
    assert r["scorer"] == "oe" and r["test_auroc"]["value"] >= 0.8 and np.isfinite(r["threshold"])
    if "for_sha256" in r:                            # the whole-image reference is tied to the shipped Siamese model
        assert r["for_sha256"] == file_sha256(find_model("bowtie_siamese")), f"{p} fitted for another bowtie_siamese"
