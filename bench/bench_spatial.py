"""Benchmark: spatial autocorrelation (core.autocorrelation) against PySAL's esda.

What is measured, on a 100 × 100 grid (10,000 cells) and on a 250 × 400 grid
(100,000 cells), rook contiguity, row-standardised weights; seconds, best of
REPEATS (at 10⁵ cells esda's runs with 999 permutations take ~30 s each and are
run once: best of 1, said in the printout), same process, same data:

* Moran        ours  core.autocorrelation.global_moran(x, w, 999, seed)
               esda  esda.Moran(x, W, transformation="r", permutations=999)
* Moran_Local  ours  core.autocorrelation.local_moran(x, w, 999, seed)
               esda  esda.Moran_Local(x, W, transformation="r", permutations=999,
                     seed=…, n_jobs=1)
* G_Local*     ours  core.autocorrelation.local_g_star(x, w_binary), analytical z
                     and p, and with 999 conditional permutations (seed)
               esda  esda.G_Local(x, W, transform="B", star=True, permutations=0),
                     the like-for-like analytical run, and with permutations=999
                     (n_jobs=1), which esda does by default for its p_sim
* weights      ours  grid_contiguity(100, 100, "rook") + row_standardise
               libpysal  lat2W(100, 100) + transform "r"

and the ratios esda / ours. esda runs single-process (n_jobs=1), like ours.
numba is not installed (the project does not use it): esda's conditional
randomisation then runs its pure-Python/numpy fallback (crand's ``njit`` is a
no-op decorator); the script prints which case it measured. With numba esda's
Moran_Local and G_Local permutations would be much faster after a compile.

Check: ours must equal esda's analytical values (Moran I, z_norm, z_rand;
local I_i and quadrants; Gi* z and 2 × esda's one-sided p_norm) to 1e-9
relative, otherwise the script exits non-zero. Permutation p-values use
different random streams, so only their agreement is printed: the global
p_sim of both and the share of cells where both or neither are significant at
0.05 (Moran_Local and G_Local). (Both draw one permutation matrix shared by all cells, so the count of
significant cells moves together from seed to seed: over 40 seeds each, ours
averaged 1673 ± 67 cells and esda 1683 ± 61 on this field.)

The field is deterministic (fixed seed): a smooth surface (two Gaussian bumps,
a hot and a cold spot, placed relative to the grid's size) plus unit noise.

End-to-end runs of mineland:moran and mineland:hotspots on polygon layers of
these grids (and their peak memory) are in bench/bench_memory.py.

Run: cd /work/main && PYTHONPATH=.
.venv/bin/python bench/bench_spatial.py
"""

import importlib.util
import time
import warnings

import numpy as np
import scipy

import benchlib

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pyproj's data-directory warning when geopandas loads
    import esda
    import esda.crand
    import libpysal

from mineland.core.spatial.autocorrelation import global_moran, local_g_star, local_moran
from mineland.core.spatial.spatial_weights import grid_contiguity, row_standardise

#: (rows, cols, repeats of esda's runs with permutations)
GRIDS = [(100, 100, 3), (250, 400, 1)]
PERMUTATIONS = 999
SEED = 20240610
REPEATS = 3


def make_field(rows, cols):
    """Two Gaussian bumps (hot, cold) plus unit noise; the 100 × 100 field is the one of the first bench."""
    rng = np.random.default_rng(SEED)
    r, c = np.mgrid[0:rows, 0:cols]
    sr, sc = rows / 100.0, cols / 100.0
    hot = 3.0 * np.exp(-((r - 25 * sr) ** 2 / sr**2 + (c - 30 * sc) ** 2 / sc**2) / 150.0)
    cold = -3.0 * np.exp(-((r - 70 * sr) ** 2 / sr**2 + (c - 65 * sc) ** 2 / sc**2) / 200.0)
    return (10.0 + hot + cold + rng.normal(size=(rows, cols))).ravel()


def best_of(function, repeats=REPEATS):
    return benchlib.best_of(function, repeats)


def rook(rows, cols):
    w = libpysal.weights.lat2W(rows, cols, rook=True)
    w.transform = "r"
    return w


def relative(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def measure(rows, cols, perm_repeats):
    """Timings (label, ours, esda) and the checks of one grid."""
    x = make_field(rows, cols)
    problems, timings, checks = [], [], []
    rook_w = lambda: rook(rows, cols)  # noqa: E731

    t_ours_w, w = best_of(lambda: row_standardise(grid_contiguity(rows, cols, "rook")))
    t_esda_w, _ = best_of(rook_w)
    timings.append(("weights (build + row-standardise)", t_ours_w, t_esda_w))

    t_ours, ours = best_of(lambda: global_moran(x, w, PERMUTATIONS, seed=1))
    np.random.seed(1)
    t_esda, theirs = best_of(lambda: esda.Moran(x, rook_w(), transformation="r", permutations=PERMUTATIONS))
    timings.append((f"Moran, {PERMUTATIONS} permutations", t_ours, t_esda))
    deviation_moran = max(relative(getattr(ours, name), getattr(theirs, name)) for name in ("I", "z_norm", "z_rand"))
    global_p = (ours.p_sim, theirs.p_sim, ours.z_sim, theirs.z_sim)

    t_ours, local = best_of(lambda: local_moran(x, w, PERMUTATIONS, seed=2))
    t_esda, esda_local = best_of(
        lambda: esda.Moran_Local(x, rook_w(), transformation="r", permutations=PERMUTATIONS, seed=3, n_jobs=1),
        repeats=perm_repeats,
    )
    timings.append((f"Moran_Local (LISA), {PERMUTATIONS} permutations", t_ours, t_esda))
    deviation_local = relative(local.Is, esda_local.Is)
    same_quadrants = bool(np.array_equal(local.q, esda_local.q))
    agree = float(np.mean((local.p_sim < 0.05) == (esda_local.p_sim < 0.05)))
    significant = (int(np.count_nonzero(local.p_sim < 0.05)), int(np.count_nonzero(esda_local.p_sim < 0.05)))

    binary = grid_contiguity(rows, cols, "rook")
    t_ours, star = best_of(lambda: local_g_star(x, binary))
    t_esda, esda_star = best_of(lambda: esda.G_Local(x, rook_w(), transform="B", star=True, permutations=0))
    timings.append(("G_Local star, analytical", t_ours, t_esda))
    t_ours_perm, star_perm = best_of(lambda: local_g_star(x, binary, permutations=PERMUTATIONS, seed=5))
    t_esda_perm, esda_perm = best_of(
        lambda: esda.G_Local(x, rook_w(), transform="B", star=True, permutations=PERMUTATIONS, seed=4, n_jobs=1),
        repeats=1,
    )
    timings.append((f"G_Local star, {PERMUTATIONS} permutations", t_ours_perm, t_esda_perm))
    deviation_star = max(relative(star.z, esda_star.Zs), relative(star.p, 2 * esda_star.p_norm))
    agree_star = float(np.mean((star_perm.p_sim < 0.05) == (esda_perm.p_sim < 0.05)))

    checks.append(
        f"check Moran: max rel |Δ| of I, z_norm, z_rand {deviation_moran:.1e}; p_sim ours "
        f"{global_p[0]:.3f}, esda {global_p[1]:.3f}; z_sim ours {global_p[2]:.1f}, esda {global_p[3]:.1f}"
    )
    checks.append(
        f"check Moran_Local: max rel |ΔI_i| {deviation_local:.1e}, quadrants "
        f"{'EQUAL' if same_quadrants else 'DIFFER'}; p_sim < 0.05 at {significant[0]} cells (ours), "
        f"{significant[1]} (esda); same verdict at {100 * agree:.1f} % of cells"
    )
    checks.append(
        f"check G_Local star: max rel |Δ| of z and p (ours = 2 × esda's one-sided p_norm) "
        f"{deviation_star:.1e}; p_sim < 0.05 at {np.count_nonzero(star_perm.p_sim < 0.05)} cells (ours), "
        f"{np.count_nonzero(esda_perm.p_sim < 0.05)} (esda); "
        f"same verdict at {100 * agree_star:.1f} % of cells"
    )
    if deviation_moran > 1e-9:
        problems.append(f"{rows * cols} cells: Moran differs from esda by {deviation_moran:.1e}")
    if deviation_local > 1e-9 or not same_quadrants:
        problems.append(f"{rows * cols} cells: Moran_Local I_i or quadrants differ from esda")
    if deviation_star > 1e-9:
        problems.append(f"{rows * cols} cells: G_Local star differs from esda by {deviation_star:.1e}")
    return timings, checks, problems


def main():
    t_all = time.perf_counter()
    numba_present = importlib.util.find_spec("numba") is not None
    fallback = esda.crand.njit.__module__ == "esda.crand"
    warnings.simplefilter("ignore")  # libpysal / esda chatter about the reference objects
    results, problems, records = [], [], []
    for rows, cols, perm_repeats in GRIDS:
        timings, checks, found = measure(rows, cols, perm_repeats)
        results.append((rows, cols, perm_repeats, timings, checks))
        problems += found
        print(f"{rows}×{cols} done ({time.perf_counter() - t_all:.0f} s so far)", flush=True)
        cells = f"{rows * cols:,} cells"
        repeat_note = f"esda best of {perm_repeats}" if perm_repeats > 1 else "esda: 1 run"
        by_label = {label: (mine, reference) for label, mine, reference in timings}
        moran = by_label[f"Moran, {PERMUTATIONS} permutations"]
        local = by_label[f"Moran_Local (LISA), {PERMUTATIONS} permutations"]
        star = by_label["G_Local star, analytical"]
        star_perm = by_label[f"G_Local star, {PERMUTATIONS} permutations"]
        records += [
            benchlib.workload(
                f"Moran's I, {PERMUTATIONS} perm., {cells}",
                *moran,
                "esda.Moran",
                target=1.0,
                memory=f"moran{rows * cols}",
            ),
            benchlib.workload(
                f"LISA, {PERMUTATIONS} perm., {cells}",
                *local,
                "esda.Moran_Local (no numba)",
                target=1.0,
                note=repeat_note,
                memory=f"moran{rows * cols}",
            ),
            benchlib.workload(
                f"Gi*, analytical, {cells}",
                *star,
                "esda.G_Local star, permutations=0",
                target=1.0,
                memory=f"hotspots{rows * cols}",
            ),
            benchlib.workload(
                f"Gi*, {PERMUTATIONS} perm., {cells}",
                *star_perm,
                "esda.G_Local star (no numba)",
                target=1.0,
                note="esda: 1 run",
                memory=f"hotspots{rows * cols}",
            ),
        ]

    print()
    facts = benchlib.machine_facts(
        versions=f"scipy {scipy.__version__}, esda {esda.__version__}, libpysal {libpysal.__version__}"
    )
    for fact in facts:
        print(fact)
    print(
        f"numba     {'PRESENT' if numba_present else 'absent'}; esda.crand uses "
        f"{'its no-op njit fallback (pure Python/numpy)' if fallback else 'numba'}"
    )
    for rows, cols, perm_repeats, timings, checks in results:
        print()
        print(
            f"seconds, {rows}×{cols} = {rows * cols:,} cells, rook, row-standardised (binary for G_Local); "
            f"best of {REPEATS}; esda with permutations: "
            + (f"Moran_Local best of {perm_repeats}, G_Local 1 run" if perm_repeats > 1 else "1 run")
        )
        print(f"{'':<64}{'ours':>9}{'esda':>10}{'esda/ours':>11}")
        for label, mine, reference in timings:
            print(f"{label:<64}{mine:9.4f}{reference:10.3f}{reference / mine:11.1f}")
        for line in checks:
            print(line)
    print(f"total bench time {time.perf_counter() - t_all:.1f} s")
    benchlib.record(
        "spatial",
        records,
        facts=facts
        + [f"numba     {'PRESENT' if numba_present else 'absent'} (esda without numba runs pure Python/numpy)"],
    )
    benchlib.finish(problems, "OK: ours equals esda's analytical values")


if __name__ == "__main__":
    main()
