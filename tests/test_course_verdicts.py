"""autograder.course.verdicts: the sentence follows from the table, and says so in metadata."""

import pandas as pd
import pytest

from autograder.course.tables import Table
from autograder.course.verdicts import column_names, evaluate


def table() -> Table:
    data = pd.DataFrame({"protocol": [0, 5], "size": [23e6, 6.4e6], "load time": [0.045, 0.004]})
    return Table(data.set_index("protocol"), {"size": "size", "load time": "duration"})


def test_the_verdict_is_chosen_by_the_rule():
    yes = table().verdict("size[0] > 3 * size[5]", holds="bigger", fails="not bigger")
    no = table().verdict("load_time[0] < load_time[5]", holds="faster", fails="slower")
    assert (str(yes), yes.holds, str(no), no.holds) == ("bigger", True, "slower", False)
    data, metadata = no._repr_mimebundle_()
    assert data == {"text/plain": "slower"}
    record = metadata["autograder"]["verdict"]
    assert record["rule"] == "load_time[0] < load_time[5]" and record["if_holds"] == "faster"
    assert record["table"] == table().record["digest"]


def test_rules_see_columns_as_series_and_fail_clearly():
    record = table().record
    assert evaluate("all(size > 1e6) and max(load_time) < 1", record)
    assert column_names(["dump time (s)", "2x"]) == {"dump time (s)": "dump_time_s", "2x": "c_2x"}
    with pytest.raises(ValueError, match="gives a column"):
        evaluate("size > 1e6", record)
    with pytest.raises(ValueError, match="failed on its table .*NameError"):
        evaluate("speed[0] > 1", record)
    with pytest.raises(ValueError, match="NameError"):
        evaluate("__import__('os')", record)  # no builtins beyond the listed few
