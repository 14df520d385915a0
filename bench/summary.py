"""The one table of make bench: every workload's time, each peer's time, the ratio and ours' peak RSS.

Reads the records the benches wrote to bench/data/results/ (benchlib.record), prints
the table and writes it with the machine facts to bench/RESULTS.md (or the path
given). Run by bench/run_all.py after the benches; alone:

    .venv/bin/python bench/summary.py [--total-seconds S] [RESULTS.md]
"""

import datetime
import json
import os
import sys

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHES = ["transfer_matrix", "reclassify", "trend", "spatial", "memory"]


def load():
    records = {}
    for bench in BENCHES:
        path = os.path.join(benchlib.RESULTS_DIR, f"{bench}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                records[bench] = json.load(handle)
    return records


def _number(value, unit):
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    return f"{value:.2f} {unit}" if value < 100 else f"{value:.0f} {unit}"


def table_rows(records):
    """(workload, ours, peer, peer time, speed-up, target, verdict, peak RSS) per workload, as text."""
    memory = {row["key"]: row for row in records.get("memory", {}).get("memory", []) if "key" in row}
    rows = []
    for bench in BENCHES[:-1]:
        for row in records.get(bench, {}).get("rows", []):
            speedup = row["peer"] / row["ours"] if row["peer"] else None
            target = row["target"]
            verdict = "" if target is None or speedup is None else ("met" if speedup >= target else "MISSED")
            rss = memory.get(row.get("memory"))
            rss_text = (
                f"{rss['peak_mb']:.0f} (+{rss['peak_mb'] - rss['baseline_mb']:.0f})"
                if rss and rss.get("peak_mb")
                else "—"
            )
            ratio = "—" if speedup is None else f"{speedup:.2f}×" if speedup < 10 else f"{speedup:.0f}×"
            rows.append(
                [
                    row["name"],
                    _number(row["ours"], row["unit"]),
                    row["peer_name"],
                    _number(row["peer"], row["unit"]),
                    ratio,
                    f"≥ {target:g}×" if target is not None else "—",
                    verdict,
                    rss_text,
                    row.get("note", ""),
                ]
            )
    return rows


def memory_rows(records):
    out = []
    for row in records.get("memory", {}).get("memory", []):
        if row.get("peak_mb") is None:
            out.append([row["name"], row["cache"], "—", "—", f"{row['bound_mb']:.0f}", "—", row["status"]])
            continue
        out.append(
            [
                row["name"],
                row["cache"],
                f"{row['peak_mb']:.0f}",
                f"{row['peak_mb'] - row['baseline_mb']:.0f}",
                f"{row['bound_mb']:.0f}" if row.get("bound_mb") is not None else "",
                f"{row['seconds']:.2f}",
                row["status"],
            ]
        )
    return out


WORKLOAD_HEADER = [
    "workload",
    "ours",
    "peer",
    "peer time",
    "peer ÷ ours",
    "target",
    "met?",
    "ours' peak RSS MB (+ over QGIS)",
    "note",
]
MEMORY_HEADER = ["run (fresh process, one processing.run)", "GDAL cache", "peak MB", "+ MB", "bound", "run s", "status"]


def text_table(header, rows, widths=None):
    widths = widths or [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return lines


def markdown_table(header, rows):
    escape = lambda c: str(c).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(escape, header)) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(map(escape, row)) + " |" for row in rows]


def missed(records):
    return [row for row in table_rows(records) if row[6] == "MISSED"]


def facts_of(records):
    for bench in BENCHES:
        if bench in records:
            return records[bench]["facts"]
    return []


def write_markdown(path, records, total_seconds, failures):
    memory = records.get("memory", {})
    lines = [
        "# MineLand bench results",
        "",
        f"Written by `make bench` (bench/run_all.py → bench/summary.py) on "
        f"{datetime.date.today().isoformat()}; the whole bench took "
        + (f"{total_seconds / 60:.1f} min ({total_seconds:.0f} s)." if total_seconds else "(time not given)."),
        "",
        "```",
        *facts_of(records),
        "```",
        "",
        "Times are best of 3 unless the note says otherwise, all in one run on the same inputs. "
        "*peer ÷ ours* > 1 means ours is faster; the target is the issue's (transfer matrix within 2× of bare "
        "GDAL + bincount and no slower than r.coin's tabulation; reclassify no slower than "
        "native:reclassifybytable; trend ≥ 200× pymannkendall; spatial no slower than esda). "
        "Peak RSS: VmHWM of a fresh process that starts QGIS and Processing and runs ours once "
        "(processing.run end to end; for the spatial rows mineland:moran or mineland:hotspots on a polygon grid "
        "of the same cells), with the growth over that process's baseline in brackets.",
        "",
        *markdown_table(WORKLOAD_HEADER, table_rows(records)),
        "",
        "## Memory",
        "",
        *(f"- {note}" for note in memory.get("notes", [])),
        "",
        *markdown_table(MEMORY_HEADER, memory_rows(records)),
        "",
        "*+ MB* is the peak over the run's own baseline; *bound* is tests/test_memory_bound.py's, which pins "
        "GDAL's block cache to 64 MB (GDAL_CACHEMAX=64). With GDAL's default cache (5 % of RAM) the rows "
        "marked *default* show what the cache adds on top: tiles GDAL keeps until it is full or the file is "
        "closed (core/raster_io.py drops a finished strip's input tiles once the cache holds over 64 MB; "
        "written tiles stay until the output is closed).",
    ]
    if failures:
        lines += ["", "## Bench failures", "", *(f"- {f}" for f in failures)]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main(argv):
    total = None
    if "--total-seconds" in argv:
        index = argv.index("--total-seconds")
        total = float(argv[index + 1])
        del argv[index : index + 2]
    failures = []
    if "--failures" in argv:
        index = argv.index("--failures")
        failures = [f for f in argv[index + 1].split(";") if f]
        del argv[index : index + 2]
    path = argv[0] if argv else os.path.join(HERE, "RESULTS.md")
    records = load()
    print()
    print("=" * 100)
    print("SUMMARY")
    for fact in facts_of(records):
        print(fact)
    print()
    for line in text_table(WORKLOAD_HEADER[:-1], [r[:-1] for r in table_rows(records)]):
        print(line)
    print()
    for note in records.get("memory", {}).get("notes", []):
        print(note)
    for line in text_table(MEMORY_HEADER, memory_rows(records)):
        print(line)
    misses = missed(records)
    print()
    print(
        "targets missed: "
        + ("; ".join(f"{r[0]} vs {r[2]} ({r[4]}, target {r[5]})" for r in misses) if misses else "none")
    )
    if total is not None:
        print(f"whole bench: {total:.0f} s ({total / 60:.1f} min)")
    write_markdown(path, records, total, failures)
    print(f"written to {os.path.relpath(path)}")


if __name__ == "__main__":
    main(sys.argv[1:])
