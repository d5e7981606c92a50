"""autograder.pages.links: a link that opens no heading is named exactly."""

from autograder.course import mistakes
from autograder.pages import links


def test_a_heading_that_exists_passes_and_a_renamed_one_is_named():
    good = mistakes.heading_anchor("5.1 Why `'wb'`, not `'w'`?")
    text = (f"[ok](../lessons/01-pickle/01-pickle.ipynb#{good}) and "
            "[gone](../lessons/01-pickle/01-pickle.ipynb#9-·-Renamed) and "
            "[paren](../lessons/03-pytorch/03-pytorch.ipynb#4.1-x-(model)-y) and "
            "[no lesson](../lessons/09-none/09-none.ipynb#x)")
    found = links.broken(text, "docs/x.md")
    assert len(found) == 3
    assert found[0].startswith("docs/x.md: link [gone] -> lessons/01-pickle/01-pickle.ipynb"
                               "#9-·-Renamed: no heading with that anchor in lessons/01-pickle "
                               "now (its headings: ")
    assert "5.1 Why `'wb'`, not `'w'`?" in found[0]
    assert found[1].startswith("docs/x.md: link [paren] -> lessons/03-pytorch/03-pytorch.ipynb"
                               "#4.1-x-(model)-y: no heading")
    assert found[2] == ("docs/x.md: link [no lesson] -> lessons/09-none/09-none.ipynb#x: "
                        "there is no such notebook")
