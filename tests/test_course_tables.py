"""autograder.course.tables: one unit per column, a dash for missing values, raw values kept."""

import math

import numpy as np
import pandas as pd
import pytest

from autograder.common import units
from autograder.course.tables import Table, table_record


def protocols() -> pd.DataFrame:
    return pd.DataFrame({"protocol": [0, 1, 5], "size": [23_000_000, 8_350_000, 6_430_000],
                         "dump": [0.0472, 0.0163, np.nan], "note": ["text", "", None],
                         "ok": [True, False, True]}).set_index("protocol")


def test_units_go_in_the_headers_and_numbers_read_well():
    table = Table(protocols(), {"size": "size", "dump": "duration"}, title="Pickling")
    shown = table.shown
    assert list(shown.columns) == ["size (MB)", "dump (ms)", "note", "ok"]
    assert shown["size (MB)"].tolist() == ["23.0", "8.35", "6.43"]
    assert shown["dump (ms)"].tolist() == ["47.2", "16.3", units.DASH]
    assert shown["note"].tolist() == ["text", units.DASH, units.DASH]
    assert shown["ok"].tolist() == ["yes", "no", "yes"]
    text = table.to_text()
    assert text.startswith("Pickling\nprotocol") and "NaN" not in text and "nan" not in text
    page = table.to_html()
    assert "<caption>Pickling</caption>" in page and ">47.2<" in page
    assert "text-align: right" in page


def test_sizes_spanning_orders_of_magnitude_get_a_unit_per_cell():
    table = Table(pd.DataFrame({"pickle": [1_675, 6_428_003], "on disk": [0, 6_428_003]}),
                  {"pickle": "size", "on disk": "size"})
    assert table.shown["pickle"].tolist() == ["1.7 KB", "6.4 MB"]
    assert table.shown["on disk"].tolist() == ["0 bytes", "6.4 MB"]  # the whole kind, alike


def test_kinds_are_guessed_from_dtypes_and_checked():
    shown = Table(pd.DataFrame({"n": [60_000, 1], "x": [0.040000501, 18148886.0]})).shown
    assert shown["n"].tolist() == ["60,000", "1"]
    assert shown["x"].tolist() == ["0.0400", "18,148,886"]
    assert Table(pd.DataFrame({"r": [3.5]}), {"r": "ratio"}).shown["r"].tolist() == ["3.50×"]
    with pytest.raises(ValueError, match="no column 'missing'"):
        Table(protocols(), {"missing": "size"})
    with pytest.raises(ValueError, match="unknown column kind"):
        Table(protocols(), {"size": "bytes"})
    with pytest.raises(TypeError, match="needs a pandas DataFrame"):
        Table([1, 2])


def test_the_output_carries_the_raw_values():
    table = Table(protocols(), {"size": "size"})
    data, metadata = table._repr_mimebundle_()
    record = metadata["autograder"]["table"]
    assert record["columns"] == ["size", "dump", "note", "ok"] and record["index"] == [0, 1, 5]
    assert record["rows"][2] == [6_430_000, None, None, True]
    assert record == table_record(table.data) and len(record["digest"]) == 16
    assert "text/html" in data and data["text/plain"] == repr(table)
    assert math.isnan(table.data.loc[5, "dump"])  # raw data untouched
