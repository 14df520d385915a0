"""mineland.core.landcover.reclass: presets, rule order, unmatched values, rule tables."""

import numpy as np
import pytest

from mineland.core.landcover import reclass
from mineland.core.landcover.reclass import Rule

ND = 0  # output nodata: classes 1..7 (or 1..4) leave 0 free

# GLC_FCS30 legend → seed 000 classes (METHODS.md §1)
FCS30_TO_7 = {
    **{c: 1 for c in (10, 11, 12, 20)},
    **{c: 2 for c in (51, 52, 61, 62, 71, 72, 81, 82, 91, 92)},
    **{c: 2 for c in (120, 121, 122)},
    **{c: 3 for c in (130, 140, 150, 151, 152, 153)},
    **{c: 4 for c in range(180, 188)},
    190: 7,
    **{c: 6 for c in (200, 201, 202)},
    210: 5,
    220: 5,
    **{c: ND for c in (0, 250, 30, 100, 160, 230, 255)},  # fill values and codes outside the legend
}

# GLC_FCS30D legend → seed 001 §2.2: 1 mine-related (flooded flat 183, impervious, bare, water),
# 2 cropland, 3 sparse vegetation, 4 dense vegetation; saline 184, tidal flat 187, ice 220 unclassified
FCS30D_TO_4 = {
    **{c: 1 for c in (183, 190, 200, 201, 202, 210)},
    **{c: 2 for c in (10, 11, 12, 20)},
    **{c: 3 for c in (140, 150, 152, 153)},
    **{c: 4 for c in (51, 52, 61, 62, 71, 72, 81, 82, 91, 92, 120, 121, 122, 130, 181, 182, 185, 186)},
    **{c: ND for c in (0, 250, 184, 187, 220)},
}


def run(values, rules, valid=None, keep_unmatched=False, nodata_out=ND, out_dtype=np.uint8):
    values = np.asarray(values)
    valid = np.ones(values.shape, bool) if valid is None else np.asarray(valid)
    return reclass.reclassify(values, rules, valid, nodata_out, out_dtype, keep_unmatched)


@pytest.mark.parametrize(
    "rules, expected",
    [
        (reclass.GLC_FCS30_TO_SEED000, FCS30_TO_7),
        (reclass.GLC_FCS30D_TO_SEED001, FCS30D_TO_4),
    ],
)
def test_presets(rules, expected):
    codes = np.array(sorted(expected), dtype=np.uint8)
    out = run(codes, rules)
    assert dict(zip(codes.tolist(), out.tolist())) == expected
    assert out.dtype == np.uint8


@pytest.mark.parametrize(
    "dtype, nodata_in",
    [
        (np.uint8, 255),
        (np.uint16, 65535),
        (np.int16, -32768),
        (np.int32, -2147483648),
        (np.float32, np.nan),
    ],
)
def test_preset_whatever_the_input_type(dtype, nodata_in):
    # the same legend codes plus one nodata pixel of the type's usual nodata value
    codes = sorted(FCS30_TO_7)
    values = np.array(codes + [nodata_in], dtype=dtype)
    valid = np.append(np.ones(len(codes), bool), False)
    out = run(values, reclass.GLC_FCS30_TO_SEED000, valid)
    assert out.tolist() == [FCS30_TO_7[c] for c in codes] + [ND]


def test_preset_names_match_presets():
    assert reclass.PRESETS[1][1] is reclass.GLC_FCS30_TO_SEED000
    assert reclass.PRESETS[2][1] is reclass.GLC_FCS30D_TO_SEED001
    assert reclass.output_values(reclass.GLC_FCS30_TO_SEED000) == sorted(reclass.SEED000_CLASSES)
    assert reclass.output_values(reclass.GLC_FCS30D_TO_SEED001) == sorted(reclass.SEED001_CLASSES)


def test_first_match_wins_user_rule_before_preset():
    # the user sends impervious surface (190) to Bareland 6 instead of Construction land 7
    rules = reclass.rules_from_rows(["190", "190", "6"]) + reclass.GLC_FCS30_TO_SEED000
    assert run([190, 210, 10], rules).tolist() == [6, 5, 1]
    # and the other way round the preset's rule wins
    rules = reclass.GLC_FCS30_TO_SEED000 + [Rule(190, 190, 6)]
    assert run([190], rules).tolist() == [7]


def test_overlapping_rules_first_wins():
    rules = [Rule(5, 10, 1), Rule(0, 20, 2)]
    assert run(np.arange(0, 22, 3), rules).tolist() == [2, 2, 1, 1, 2, 2, 2, 0]  # 0 3 6 9 12 15 18 21


def test_keep_unmatched():
    values = np.array([10, 30, 250, 77], dtype=np.uint8)
    valid = np.array([True, True, True, False])
    # 10 → 1; 30 and 250 match nothing and keep their value; the invalid pixel → nodata
    out = run(values, reclass.GLC_FCS30_TO_SEED000, valid, keep_unmatched=True)
    assert out.tolist() == [1, 30, 250, ND]
    # without the option they become nodata
    assert run(values, reclass.GLC_FCS30_TO_SEED000, valid).tolist() == [1, ND, ND, ND]


def test_output_class_values_with_keep_unmatched():
    rules = [Rule(10, 20, 1), Rule(190, 190, 7)]
    assert reclass.output_class_values(rules, False, np.uint8) == [1, 7]
    assert reclass.output_class_values(rules, True, np.uint8) == [0, 1, 7, 255]
    assert reclass.output_class_values(rules, True, np.int16) == [-32768, 1, 7, 32767]


def test_float_input():
    values = np.array([10.0, 10.5, 20.0, 20.5, 9.999, np.nan, -1.0], dtype=np.float32)
    valid = np.isfinite(values) & (values != -1.0)
    # bounds are inclusive and compare as numbers: 10, 10.5, 20 → 1; 20.5 and 9.999 → unmatched
    out = run(values, [Rule(10, 20, 1), Rule(20.25, 30, 2)], valid)
    assert out.tolist() == [1, 1, 1, 2, ND, ND, ND]


def test_integer_input_beyond_lookup_range():
    # a block spanning more than 2^20 codes takes the per-rule path; same answers
    values = np.array([-5, 10, 2_000_000, 3], dtype=np.int32)
    out = run(values, [Rule(-10, -1, 3), Rule(10, 10, 1), Rule(1_000_000, 3_000_000, 2)])
    assert out.tolist() == [3, 1, 2, ND]


def test_int16_block_spanning_more_than_32767():
    # lookup indices are value − min; −30000..30000 spans 60000 codes, beyond int16
    values = np.array([-30000, 0, 30000], dtype=np.int16)
    rules = [Rule(-30000, -30000, 1), Rule(0, 0, 2), Rule(30000, 30000, 3)]
    assert run(values, rules).tolist() == [1, 2, 3]


# ---------------------------------------------------------------- rule tables


def test_rules_from_rows():
    rows = ["10", "20", "1", " 51 ", "92", "2.0", "190", "190", 7]
    assert reclass.rules_from_rows(rows) == [Rule(10, 20, 1), Rule(51, 92, 2), Rule(190, 190, 7)]


@pytest.mark.parametrize("rows", [[""], [], None, ["", " ", ""]])
def test_rules_from_rows_untouched_matrix(rows):
    assert reclass.rules_from_rows(rows) == []


@pytest.mark.parametrize(
    "rows, message",
    [
        (["10", "20"], "got 2 cells"),
        (["10", "20", "1", "30"], "got 4 cells"),
        (["10", "20", "1", "a", "40", "2"], "row 2: min, max and value must be numbers"),
        (["10", "20", ""], "row 1: min, max and value must be numbers"),
        (["10", "20", "1.5"], "row 1: the new value 1.5 is not an integer"),
        (["20", "10", "1"], "row 1: min 20 is greater than max 10"),
    ],
)
def test_rules_from_rows_errors(rows, message):
    with pytest.raises(ValueError, match=message):
        reclass.rules_from_rows(rows)


def test_rules_from_csv_text_code_column_bom_semicolons_names():
    text = "\ufeffCode;Value;Name\n190;7;Construction land\n\n210;5;Water body\n220;5;\n"
    rules, names = reclass.rules_from_csv_text(text)
    assert rules == [Rule(190, 190, 7), Rule(210, 210, 5), Rule(220, 220, 5)]
    assert names == {7: "Construction land", 5: "Water body"}


def test_rules_from_csv_text_min_max():
    rules, names = reclass.rules_from_csv_text("MIN,Max,value\n10,20,1\n51,92,2\n")
    assert rules == [Rule(10, 20, 1), Rule(51, 92, 2)]
    assert names == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no rows"),
        ("\ufeffmin;max;value\n", "header but no rows"),
        ("min,value\n10,1\n", "needs columns min, max, value"),
        ("code,name\n10,Cropland\n", "needs columns min, max, value"),
        ("min,max,value\n10,20,x\n", "CSV line 2: min, max and value must be numbers"),
        ("code,value\n10,1\n20,1.5\n", "CSV line 3: the new value 1.5"),
        ("min,max,value\n20,10,1\n", "CSV line 2: min 20 is greater than max 10"),
    ],
)
def test_rules_from_csv_text_errors(text, message):
    with pytest.raises(ValueError, match=message):
        reclass.rules_from_csv_text(text)


def test_semicolon_csv_with_decimal_commas():
    from mineland.core.io.tables import csv_rows, decimal_point

    rules, names = reclass.rules_from_csv_text("min;max;value\n5,5;7,5;1\n-0,25;1.234,5;2\n")
    assert [(r.low, r.high, r.value) for r in rules] == [(5.5, 7.5, 1), (-0.25, 1234.5, 2)]
    assert csv_rows("sep=;\na;b\n1,5;x,5\n")[1] == {"a": "1.5", "b": "x,5"}  # Excel's sep= line; text untouched
    assert [decimal_point(c) for c in ("5,5", ",5", "2,5e-3", "1,2,3", "12")] == ["5.5", ".5", "2.5e-3", "1,2,3", "12"]
    with pytest.raises(ValueError, match="CSV line 2: '5,5' has a decimal comma in a comma-separated table"):
        csv_rows('min,max,value\n"5,5",7,1\n')
