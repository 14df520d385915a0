"""Reading the small CSV tables users give (class tables, carbon tables)."""

import csv
import io


def read_text(path):
    """File text, UTF-8 with or without a byte-order mark (Latin-1 as a fallback).

    Raises
    ------
    OSError
        The file cannot be read; the message says which and what to do.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise OSError(f"the file '{path}' does not exist (was it moved or deleted?); choose the CSV file again") \
            from None
    except OSError as err:
        raise OSError(f"the file '{path}' cannot be read ({err.strerror}); check it or choose another") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def csv_rows(text):
    """Rows of a CSV text as dicts keyed by lower-case header.

    Comma or semicolon separated (whichever the header has more of); a
    byte-order mark and blank lines are ignored. The first returned row maps
    each header to itself, so callers can see the columns even with no data.
    """
    text = text.lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    table = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [h.strip().lower() for h in table[0]]
    rows = [dict(zip(header, header))]
    for cells in table[1:]:
        rows.append({h: c.strip() for h, c in zip(header, cells)})
    return rows


def write_csvt(csv_path, kinds):
    """The .csvt beside a CSV (one OGR type per column: "String", "Integer", "Integer64", "Real"), so that QGIS
    and GDAL reload the columns with their types instead of all as text."""
    with open(csv_path[:-4] + ".csvt" if csv_path.lower().endswith(".csv") else csv_path + "t", "w",
              encoding="utf-8") as handle:
        handle.write(",".join(f'"{kind}"' for kind in kinds) + "\n")
