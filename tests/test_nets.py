"Tests for chiral_em.nets: MSD-net parameter count, fast path = reference, U-Net, training, model files (models)."
import numpy as np, pytest, torch
from hypothesis import given, settings, strategies as st
from chiral_em.nets import MSDNet, UNet, msd_param_count, n_params, train_segmenter, predict
from chiral_em.models import save_model, load_model
from chiral_em.fourier import sliding_window_predict

@pytest.mark.parametrize("depth,nin,nout", [(1, 1, 1), (10, 1, 2), (100, 1, 1), (100, 1, 2), (100, 1, 3), (7, 3, 2)])
def test_param_count_formula(depth, nin, nout):
    assert n_params(MSDNet(depth, nin, nout)) == msd_param_count(depth, nin, nout)

def test_param_count_paper_values():   # methods.md §3.1
    assert (msd_param_count(100, 1, 1), msd_param_count(100, 1, 2), msd_param_count(100, 1, 3)) == (45652, 45754, 45856)

def test_dilations_cycle():
    assert MSDNet(23).dil == [(i % 10) + 1 for i in range(23)]
    assert MSDNet(25).receptive_radius == sum((i % 10) + 1 for i in range(25))

@pytest.mark.parametrize("shape", [(1, 1, 31, 40), (2, 2, 24, 24)])
def test_fast_forward_equals_reference(shape):
    torch.manual_seed(0); m = MSDNet(13, nin=shape[1], nout=2); torch.nn.init.normal_(m.out.weight)
    x = torch.randn(*shape)
    ref = m.forward_reference(x)
    assert torch.allclose(m(x), ref, atol=1e-4)
    with torch.no_grad(): assert torch.allclose(m(x), ref, atol=1e-4)

def test_too_small_input_raises():
    with pytest.raises(ValueError, match="too small"): MSDNet(12)(torch.zeros(1, 1, 9, 9))

def test_unet_shapes():
    u = UNet(base=4, levels=3)
    assert u(torch.zeros(2, 1, 32, 40)).shape == (2, 1, 32, 40)
    with pytest.raises(ValueError, match="multiples"): u(torch.zeros(1, 1, 30, 32))
    assert predict(u, np.zeros((30, 45), np.float32)).shape == (1, 30, 45)   # predict pads and crops back

def test_training_reduces_loss():
    "Learn a trivial segmentation (bright pixels) from random images."
    rng = np.random.default_rng(0); torch.manual_seed(0)
    def batch(step):
        x = rng.normal(size=(4, 1, 32, 32)).astype(np.float32); return x, (x > 0.5).astype(np.float32)
    h = train_segmenter(MSDNet(4), batch, steps=60, lr=1e-2, progress=False)
    assert np.mean(h[-10:]) < 0.8 * np.mean(h[:5])

@pytest.mark.parametrize("Net,kw", [(MSDNet, dict(depth=5, nout=2)), (UNet, dict(base=4, nout=2))])
def test_save_load_roundtrip(tmp_path, Net, kw):
    torch.manual_seed(0)
    m = Net(**kw)
    torch.nn.init.normal_(m.out.weight)
    meta = dict(input_kind="hrtem", sampling=0.2, profile="test", data_version=None, seed=0, example_input=[1, 1, 24, 24],
                losses=["bce", "mse"])
    save_model(tmp_path / "m.pt", m, meta)
    m2, meta = load_model(tmp_path / "m.pt")
    assert type(m2) is Net and m2.init_kwargs == m.init_kwargs
    x = np.random.default_rng(0).normal(size=(24, 24)).astype(np.float32)
    assert meta["sampling"] == 0.2 and tuple(meta["losses"]) == ("bce", "mse")
    np.testing.assert_allclose(predict(m, x, ("bce", "mse")), predict(m2, x, ("bce", "mse")), atol=1e-6)

@settings(max_examples=6, deadline=None)
@given(h=st.integers(40, 90), w=st.integers(40, 90), window=st.integers(16, 48))
def test_windowed_equals_whole_with_full_halo(h, w, window):
    "Hamming overlap-add is exact when the halo covers the receptive radius (paper: shape unchanged)."
    torch.manual_seed(1); m = MSDNet(4); torch.nn.init.normal_(m.out.weight)
    img = np.random.default_rng(h * w).normal(size=(h, w)).astype(np.float32)
    f = lambda a: predict(m, a, ("mse",))[0]
    np.testing.assert_allclose(sliding_window_predict(f, img, window, m.receptive_radius), f(img), atol=1e-4)
