"""make bench: every bench in turn, each in its own process, then the one summary table.

Order: transfer matrix (vs GRASS r.coin and bare GDAL + bincount), reclassify (vs
native:reclassifybytable), trend (vs pymannkendall), spatial (vs esda), memory (peak
RSS of each of ours, and the memory-bound cases). Each builds its own deterministic
data under bench/data/ (git-ignored) when missing. The records of this run replace
any earlier ones; bench/summary.py prints the table and writes bench/RESULTS.md.
Exits non-zero when a bench fails (a check or a memory bound), after the summary.
"""

import glob
import os
import subprocess
import sys
import time

import benchlib
import summary

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHES = ["bench_transfer_matrix.py", "bench_reclassify.py", "bench_trend.py", "bench_spatial.py", "bench_memory.py"]


def main():
    start = time.perf_counter()
    for stale in glob.glob(os.path.join(benchlib.RESULTS_DIR, "*.json")):
        os.remove(stale)
    failures = []
    for script in BENCHES:
        print(f"\n{'=' * 100}\n{script}\n{'=' * 100}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.call([sys.executable, os.path.join(HERE, script)])
        print(f"[{script}: {time.perf_counter() - t0:.0f} s, exit {code}]", flush=True)
        if code != 0:
            failures.append(f"{script} exited {code}")
    total = time.perf_counter() - start
    summary.main(["--total-seconds", str(total), "--failures", ";".join(failures)])
    if failures:
        print("FAIL: " + "; ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
