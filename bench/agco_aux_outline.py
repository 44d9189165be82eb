"""Does chapter 06's CNN read the size better when it must also find the cluster's outline? (issue 17) The chapter's
three-head CNN (`nanoalloy.AgCoNet`, the `cpu` recipe: width, epochs, batch, learning rate from the profile; training
seed 0; eight-view reading) with an auxiliary outline head: a 1×1 convolution on the features at stride 8 predicting,
per 8×8 px cell, the fraction covered by the cluster's projected outline (the imaging engine's `mask`), binary
cross-entropy added to the chapter's loss with weight λ; the mask turns with the image in the augmentation. Trained
on the noisy images (each standardised) of chapter 06's `cpu` training clusters (its cache; run the chapter first),
epoch chosen and scored on the **validation** clusters (the test clusters stay for the chapter's report).

Measured on 2 cores (2026-12-07; 2.4 min per arm; results/bench/agco_aux_outline.json):

| λ | size MAE [atoms] | composition MAE | class accuracy |
|---|---|---|---|
| 0 (the chapter's CNN) | 85.8 | 0.138 | 0.886 |
| 1 | 86.7 | 0.138 | 0.889 |
| 3 | 88.7 | 0.134 | 0.892 |

No gain: the outline the network is pushed to find is already what it reads, and the size needs more than it (see
`bench/agco_size_floor.py`). Not adopted.

`python bench/agco_aux_outline.py [--out FILE]`"""
import sys, time
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, str(Path(__file__).parent))
from agco_size_floor import validation_data, write_validation_arms
from chiral_em.core import Chapter, standardize, threads
from chiral_em.nanoalloy import AgCoNet, agco_loss, augment_d4, _targets, predict_agconet

LAMBDAS = (0.0, 1.0, 3.0)   # weight of the outline loss


class AuxNet(AgCoNet):
    "`AgCoNet` with an outline head on the features at stride 8 (after the stem and two blocks)."
    def __init__(self, width:int=8):
        super().__init__(width)
        self.outline = torch.nn.Conv2d(4 * width, 1, 1)
        self.to(memory_format=torch.channels_last)

    def both(self, x):   # (B, 4) heads, (B, P/8, P/8) outline logits
        for i, m in enumerate(self.features):
            x = m(x)
            if i == 4: o = self.outline(x)[:, 0]
        return self.head(x), o


def train(X, M, label, n_atoms, x_ag, tr, va, lam, seed=0, width=8, epochs=12, batch=32, lr=3e-3):
    "`nanoalloy.train_agconet`'s loop with the outline loss added (weight `lam`); the epoch of lowest validation loss."
    nd = X.shape[1]
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, seed, 7])
    mu, sd = (n_atoms[tr].mean(), x_ag[tr].mean()), (n_atoms[tr].std() + 1e-9, x_ag[tr].std() + 1e-9)
    net = AuxNet(width)
    items = np.array([(i, d) for i in tr for d in range(nd)])
    steps = epochs * int(np.ceil(len(items) / batch))
    opt = torch.optim.AdamW(net.parameters(), lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.2)
    yv = _targets(np.repeat(va, nd), label, n_atoms, x_ag, mu, sd)
    xv = torch.from_numpy(X[va].reshape(-1, 1, *X.shape[-2:]))
    best, state = np.inf, None
    for ep in range(epochs):
        net.train()
        for b in np.array_split(rng.permutation(len(items)), int(np.ceil(len(items) / batch))):
            ii, dd = items[b, 0], items[b, 1]
            st = np.stack([augment_d4(np.stack([X[i, d], M[i]]), rng) for i, d in zip(ii, dd)])
            x = torch.from_numpy(st[:, :1].copy())
            m = F.avg_pool2d(torch.from_numpy(st[:, 1:].copy()), 8)[:, 0]   # area fraction per 8 x 8 cell
            out, o = net.both(x)
            loss = agco_loss(out, _targets(ii, label, n_atoms, x_ag, mu, sd))
            if lam: loss = loss + lam * F.binary_cross_entropy_with_logits(o, m)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            vl = float(sum(agco_loss(net(xv[i:i + 64]), [t[i:i + 64] for t in yv]) * len(xv[i:i + 64])
                           for i in range(0, len(xv), 64)) / len(xv))
        if vl < best: best, state = vl, {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(state)
    return net.eval(), mu, sd


def main(out:str=None, seed:int=0):
    t0 = time.time()
    cfg = Chapter("06_agco", profile="cpu", seed=seed).cfg
    ims, label, tr, va, n_atoms, x_ag, nd = validation_data(seed)
    X = np.stack([[standardize(a) for a in d["noisy"]] for d in ims]).astype(np.float32)
    M = np.stack([d["mask"].astype(np.float32) for d in ims])
    P = X.shape[-1]
    yn, yc, yl = np.repeat(n_atoms[va], nd), np.repeat(x_ag[va], nd), np.repeat(label[va], nd)
    arms = {}
    with threads(2):
        for lam in LAMBDAS:
            t1 = time.time()
            net, mu, sd = train(X, M, label, n_atoms, x_ag, tr, va, lam, seed, cfg.width, cfg.epochs, cfg.batch, cfg.lr)
            p, s, c = predict_agconet(net, X[va].reshape(-1, P, P), mu, sd, tta=True)
            arms[f"lambda_{lam:g}"] = dict(size_mae=float(np.abs(s - yn).mean()), comp_mae=float(np.abs(c - yc).mean()),
                                           acc=float(((p > 0.5) == yl).mean()), s=time.time() - t1)
            print(lam, arms[f"lambda_{lam:g}"], flush=True)
    write_validation_arms("agco_aux_outline", arms, tr, va, nd, t0, out)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[a.index("--out") + 1] if "--out" in a else None)
