"""GRASS GIS r.coin on the transfer-matrix bench pair; run inside a GRASS session by bench_transfer_matrix.py:

    grass --tmp-location EPSG:32637 --exec python3 bench/grass_rcoin.py START END REPEATS

Times, each step on its own (seconds, wall clock of the GRASS command):

* import    r.in.gdal of each GeoTIFF into GRASS's native raster format (once)
* link      r.external of each GeoTIFF (GRASS reads it through GDAL; once)
* coin      r.coin first=start second=end units=c on the imported maps: GRASS's own
            tabulation (r.coin pipes ``r.stats -anrc`` and formats the report), best of REPEATS
* coin_linked  the same on the linked maps, so GRASS also decodes the GeoTIFFs as ours does;
            best of REPEATS

Prints one line ``RCOIN {json}`` with the times, the GRASS version and the pair counts
parsed from the imported run's report ({"from,to": cells}); NULL (the rasters' nodata)
at either date is left out by r.coin, as by ours.
"""

import json
import re
import subprocess
import sys
import time


def timed(*command, stdout=subprocess.DEVNULL):
    start = time.perf_counter()
    done = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return seconds, done.stdout


def parse_report(text):
    """{(first cat, second cat): cells} from r.coin's panels (columns = first map, rows = second map)."""
    counts, columns = {}, None
    for line in text.splitlines():
        if "cat#" in line:
            head = line.split("w cat 0")[0]
            columns = [int(v) for v in re.findall(r"\|\s*(\d+)\s*(?=\|)", head)]
            continue
        if columns is None:
            continue
        match = re.match(r"^\|\S*\s+(\d+)\s*\|(.*)$", line)
        if match:
            cells = [int(v) for v in re.findall(r"(\d+)\s*\|", match.group(2))][: len(columns)]
            for first, cells_count in zip(columns, cells):
                if cells_count:
                    counts[(first, int(match.group(1)))] = cells_count
        elif line.startswith("|----") and counts:
            columns = None if "Total" in line else columns
        if line.startswith("|Total"):
            columns = None
    return counts


def main(start, end, repeats):
    _, version = timed("g.version", stdout=subprocess.PIPE)
    import_s = [
        timed("r.in.gdal", f"input={path}", f"output={name}", "--quiet")[0] for path, name in ((start, "a"), (end, "b"))
    ]
    link_s = [
        timed("r.external", f"input={path}", f"output={name}", "--quiet")[0]
        for path, name in ((start, "ax"), (end, "bx"))
    ]
    timed("g.region", "raster=a")
    coin, report = min(
        timed("r.coin", "first=a", "second=b", "units=c", "--quiet", stdout=subprocess.PIPE) for _ in range(repeats)
    )
    coin_linked = min(timed("r.coin", "first=ax", "second=bx", "units=c", "--quiet")[0] for _ in range(repeats))
    counts = parse_report(report)
    print(
        "RCOIN "
        + json.dumps(
            {
                "version": version.strip(),
                "import_s": sum(import_s),
                "link_s": sum(link_s),
                "coin_s": coin,
                "coin_linked_s": coin_linked,
                "counts": {f"{a},{b}": n for (a, b), n in sorted(counts.items())},
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
