"""Reading the small CSV tables users give (class tables, carbon tables) and the lists typed in a text field."""

import csv
import io
import re


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
        raise OSError(
            f"the file '{path}' does not exist (was it moved or deleted?); choose the CSV file again"
        ) from None
    except OSError as err:
        raise OSError(f"the file '{path}' cannot be read ({err.strerror}); check it or choose another") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def list_items(text, separators=",;"):
    """The items of a list typed in one text field ("1985, 2000; 2020"): split at each of ``separators``,
    stripped, blanks dropped. Commas and semicolons both separate, as users type either."""
    return [item.strip() for item in re.split(f"[{re.escape(separators)}]", str(text or "")) if item.strip()]


def parse_list(text, cast, message=None, separators=",;"):
    """``cast`` (int, float, …) of every item of :func:`list_items`.

    Raises
    ------
    ValueError
        An item ``cast`` refuses: with ``message`` (which names the list and the text given) when there is one,
        else the cast's own.
    """
    try:
        return [cast(item) for item in list_items(text, separators)]
    except ValueError:
        if message is None:
            raise
        raise ValueError(message) from None


#: A number written with a decimal comma (Excel in many locales), optionally with dots grouping thousands.
_DECIMAL_COMMA = re.compile(r"[+-]?(\d*|\d{1,3}(\.\d{3})+),\d+([eE][+-]?\d+)?")


def decimal_point(cell):
    """``cell`` with a decimal comma made a point ("5,5" → "5.5", "1.234,5" → "1234.5"); other text unchanged."""
    if not _DECIMAL_COMMA.fullmatch(cell):
        return cell
    whole, fraction = cell.rsplit(",", 1)
    return f"{whole.replace('.', '')}.{fraction}"


def csv_rows(text):
    """Rows of a CSV text as dicts keyed by lower-case header.

    Comma or semicolon separated (whichever the header has more of, or the
    one an Excel ``sep=;`` first line names); a byte-order mark and blank
    lines are ignored. With semicolons, numbers may have a decimal comma, as
    Excel writes CSV in the locales whose decimal separator is the comma
    ("min;max;value" / "5,5;7,5;1"): such cells are read with a point
    (:func:`decimal_point`). With commas as separators a decimal comma cannot
    be told from the next cell, so there numbers need a decimal point; a
    quoted "5,5" there raises ValueError saying how to save the table.
    The first returned row maps each header to itself, so callers can see
    the columns even with no data.
    """
    text = text.lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    delimiter = None
    if lines[0].strip().lower().startswith("sep=") and len(lines[0].strip()) == 5:
        delimiter = lines.pop(0).strip()[4]
        if not lines:
            return []
    if delimiter is None:
        delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    table = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [h.strip().lower() for h in table[0]]
    rows = [dict(zip(header, header))]
    convert = decimal_point if delimiter == ";" else str
    for line, cells in enumerate(table[1:], start=2):
        if delimiter == ",":
            _refuse_decimal_commas(cells, line)
        rows.append({h: convert(c.strip()) for h, c in zip(header, cells)})
    return rows


def _refuse_decimal_commas(cells, line):
    """A quoted "5,5" in a comma-separated table: say how to save the table rather than "not a number"."""
    for cell in cells:
        if _DECIMAL_COMMA.fullmatch(cell.strip()):
            raise ValueError(
                f"CSV line {line}: '{cell.strip()}' has a decimal comma in a comma-separated table; "
                "save the table with semicolons between the cells (Excel's 'CSV (semicolon "
                "delimited)', or a locale whose decimal separator is the comma), or with decimal points"
            )


def write_csvt(csv_path, kinds):
    """The .csvt beside a CSV (one OGR type per column: "String", "Integer", "Integer64", "Real"), so that QGIS
    and GDAL reload the columns with their types instead of all as text."""
    with open(
        csv_path[:-4] + ".csvt" if csv_path.lower().endswith(".csv") else csv_path + "t", "w", encoding="utf-8"
    ) as handle:
        handle.write(",".join(f'"{kind}"' for kind in kinds) + "\n")
