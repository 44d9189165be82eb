# %% [markdown]
# <!-- Cells for nbs/05c_liquid.ipynb, to paste after section 5 (real frames) and before section 6 (results).
#      New profile keys for "05c_liquid" (smoke / cpu / paper):
#        layer_seeds  = 2 / 3 / 5                  training seeds (networks)
#        layer_steps  = 3 / 300 / 5000             U-Net steps per seed
#        layer_movies = 2 / 8 / 20                 test crystals (movies at every flux)
#        layer_frames = 1 / 2 / 20                 frames per test movie
#        layer_size   = 96 / 256 / 512             test frame edge [px]
#        layer_fit    = 2 / 8 / 50                 movies to fit the intensity baseline (another seed)
#        layer_batch  = 2 / 8 / 16                 training batch (2 crops per rendered frame)
#        layer_crop   = 32 / 96 / 256              training crop edge [px after 2 × 2 binning]
#        layer_train_size = 96 / 256 / 512         rendered training frame edge [px]
#        layer_base   = 8 / 16 / 32                U-Net channels at full resolution
#        layer_levels = 3 / 4 / 5                  U-Net downsamplings
#      (the same values as the "layers" section of profiles.toml, which bench/bench_layers.py uses); fluxes from
#      the chapter's existing key.
#      In section 6 add `layers=layers_metrics` to the `metrics = dict(...)` call, and the goal line
#      `goals["layer assignment (U-Net, GT instances)"] = ...` shown in the last code cell below. -->
#
# ## 5b. Two layers: assigning overlapping cubes to the lower or upper layer
#
# **Methods.** Thick assemblies were simulated with the same engine, `simulate_movie(..., n_layers=2, coverage2=c)`: a
# second lattice, offset by half a cell (the hollow sites of the first), projected on top of the first; its sites are
# occupied with probability c ~ U(0.15, 0.75) per movie (our choice: an incomplete upper layer). A projection does not
# tell which particle lies on top (Beer–Lambert attenuation commutes), so the layers differ in the image only by their
# geometry: the lower lattice is nearly complete, the upper particles sit on its hollow sites and each overlaps about
# four lower cubes. With two complete layers the sub-lattices are related by a translation and no method could tell
# them apart; our numbers hold for incomplete upper layers only. As in paper 002 (Fig. 1b), a U-Net
# (`chiral_em.layers`, notebook `29d_layers`; the same 3-level architecture as above) has two sigmoid output channels,
# one footprint per layer; where cubes of both layers overlap both targets are 1, and the loss is the binary
# cross-entropy of both channels. Each network was trained on freshly rendered frames (flux log-uniform over
# 50–1,500 e⁻/Å²/s, random crops and 90° rotations) of seeds 20,000 + 100·seed + r, r = 0…n−1 (one network per
# training seed). Frames are binned 2 × 2 before the network (whether a cube is on top shows only over several lattice
# cells, so the 4-level U-Net gets ≈ 3 cells of context) and the probabilities interpolated back to the full grid.
# A particle's layer is the channel with the larger mean probability over its pixels. Because cubes of one layer never
# overlap each other, the overlap graph of the particles is bipartite: "U-Net + overlap graph" 2-colours each connected
# component and orients it by the summed votes of its particles (mean p_upper − p_lower), so a whole patch of the
# crystal is assigned consistently. We score
# (i) the pure assignment on the ground-truth instances, (ii) an end-to-end score in which a particle counts as correct
# only if a connected component of its own predicted channel covers it with IoU ≥ 0.5, and the per-layer pixel IoU of
# the thresholded channels. The **overlap fraction** of a particle is the fraction of its area covered by cubes of the
# other layer, binned at 0, 0.05, 0.25, 0.5, 0.75, 1 (edges fixed before any result). Baselines: a threshold on the
# particle's mean standardised intensity (overlapping cubes are darker: "upper" below the threshold, fitted on movies of
# another seed, 30,000 + seed), the majority class of those movies, and for the pixel IoU a two-level Otsu threshold
# (any particle → lower channel, doubly dark → upper channel), and the "overlap-graph rule" without any network
# (each component's larger colour class is the lower layer, a version of the lattice-offset rule). The ground-truth
# instance scores use *amodal* masks (each cube's full outline also where another covers it), which a real pipeline
# would have to predict; the end-to-end score does not. Test movies are `simulate_movie(seed, i)` at every flux
# (the same crystals at each flux), disjoint from all training and fitting seeds. Confidence intervals are 95 %
# percentile bootstraps over test movies with the accuracy averaged over the training seeds. The goal:
# assignment accuracy ≥ 95 %.

# %%
from chiral_em.layers import layer_benchmark, layer_figure, METHODS
layer_res = layer_benchmark(seed=seed, n_seeds=cfg["layer_seeds"], fluxes=FLUXES, n_movies=cfg["layer_movies"],
                            n_frames=cfg["layer_frames"], size=cfg["layer_size"], steps=cfg["layer_steps"],
                            batch=cfg["layer_batch"], crop=cfg["layer_crop"], train_size=cfg["layer_train_size"],
                            base=cfg["layer_base"], levels=cfg["layer_levels"], fit_movies=cfg["layer_fit"])
layers_metrics = layer_res["metrics"]
fig = layer_figure(layer_res)
ch.savefig(fig, "fig1b_two_layers")
acc = pd.DataFrame({name: {b: f"{v['mean']:.3f} [{v['lo']:.3f}, {v['hi']:.3f}]" for b, v in
                           layers_metrics["by_overlap"][k].items()} for k, name in METHODS.items()})
acc.index.name = "overlap fraction"
display(acc)
display(pd.DataFrame({name: {f: f"{v['mean']:.3f} [{v['lo']:.3f}, {v['hi']:.3f}]" for f, v in
                             layers_metrics["by_flux"][k].items()} for k, name in METHODS.items()}).rename_axis("flux"))
display(pd.DataFrame(layers_metrics["iou"]["U-Net"]).rename_axis("flux").round(3))
print(f"training {layers_metrics['train_s']:.0f} s for {cfg['layer_seeds']} networks; "
      f"{layers_metrics['n_particle_frames']} particle-frames scored")

# %% [markdown]
# *Figure: as paper 002 Fig. 1b. Left: a two-layer test frame (1,500 e⁻/Å²/s) with the layers predicted by the
# two-channel U-Net (first training seed, channels thresholded at 0.5; blue lower, orange upper; red crosses: cubes
# that its channel vote alone, without the overlap graph, puts in the wrong layer) and the ground truth;
# scale bar 20 nm. Right: assignment accuracy versus overlap fraction and versus flux, mean over the training seeds
# with 95 % bootstrap intervals over test movies; dashed: the 95 % goal.*

# %%
# in section 6, after `goals = {...}`:
for k in ("unet", "unet_graph", "unet_e2e"):
    goals[f"layer assignment, {METHODS[k]}"] = dict(value=layers_metrics["overall"][k]["mean"], goal=0.95,
                                                    met=bool(layers_metrics["goal"][k]["met_overall"]))
# and `metrics = dict(..., layers=layers_metrics)`

# %% [markdown]
# **Two layers: what the numbers say** (`cpu` profile, filled in from `results/cpu/05c_liquid.json`; see the report for
# the standalone cpu-scale run of `layer_benchmark`).
#
# RESULTS_PROSE
