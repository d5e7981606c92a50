"""docs/formats.md, the format decision guide: a decision flow, then one row per route.

The qualitative columns come from formats.toml; every figure comes from docs/benchmarks.json
(the `formats` section that `autograder bench` measures) through `figures.Results`, and a
route the course does not measure shows only figures marked as quoted, with their source.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.pages.figures import NOT_MEASURED, Results, quoted
from autograder.pages.markdown import lesson_link, table

SOURCE = Path(__file__).with_name("formats.toml")
COLUMNS = ("size", "save", "startup", "one-row", "batch")


def routes() -> list[dict]:
    return tomllib.loads(SOURCE.read_text(encoding="utf-8"))["route"]


def flow(results: Results) -> list[str]:
    """The decision flow, with the figures that back each answer."""
    t = results.text
    warning = results.fact("formats.torchscript-warning") or NOT_MEASURED
    return [
        "## Decide in four questions", "",
        "1. **Will a program in another language, or on a phone, load the model?** Use ONNX "
        "(ONNX Runtime has C, C++, C#, Java and JavaScript APIs). A PyTorch model on a phone "
        "or a microcontroller: ExecuTorch. In a C++ server: `torch.export`, then AOTInductor.",
        "2. **Could the file come from someone you do not fully trust?** Loading a pickle runs "
        "whatever it names (measured below: the course's harmless payload ran under "
        f"`pickle.load`: {yes_no(results.fact('formats.pickle-runs-payload'))}; under "
        f"`joblib.load`: {yes_no(results.fact('formats.joblib-runs-payload'))}). Use a format "
        "that holds no code: safetensors for weights, ONNX for a whole model, skops with a "
        "reviewed list of trusted types; `torch.load` only with `weights_only=True` (it "
        "refused the payload: "
        f"{yes_no(results.fact('formats.weights-only-refuses-payload'))}).",
        "3. **PyTorch without Python?** `torch.export` writes the program; AOTInductor compiles "
        f"it for C++, which still loads libtorch ({t('formats.libtorch-size')} of shared "
        "libraries); ONNX Runtime is the smaller runtime. Not TorchScript: every call now "
        f"warns “{warning}”",
        "4. **Otherwise**, in Python: scikit-learn pipelines with joblib (compressed when size "
        f"matters: {t('formats.joblib-zlib3-size')} instead of {t('formats.joblib-size')} for "
        "the course's forest), PyTorch weights with safetensors, and LightGBM, XGBoost or "
        "Keras models with their own `save_model`. Always save metadata and pinned versions "
        f"beside the file ({lesson_link('06-production', '3 · Metadata next to the model')}).",
        "",
    ]


def yes_no(value) -> str:
    return NOT_MEASURED if value is None else ("yes" if value else "no")


def row(route: dict, results: Results) -> list[str]:
    key = route.get("key")
    figures = [results.text(f"formats.{key}-{column}") if key else NOT_MEASURED
               for column in COLUMNS]
    if not key:
        figures[0] = "; ".join(f"{q['what']}: {quoted(q['text'], q['source'])}"
                               for q in route.get("quoted", [])) or NOT_MEASURED
    needs = route["needs"]
    measured = results.fact(f"formats.{key}-needs") if key else None
    if measured:
        needs += f"; a fresh process imported {len(measured)} installed packages"
    return [route["name"], route["when"], needs, route["code"], route["languages"], *figures,
            lesson_link(route["lesson"], route["section"], route["lesson"][:2])]


def page(name: str = "formats.md", root: Path = ROOT, results: Results | None = None) -> str:
    """The page; `results` (default: root's docs/benchmarks.json) records what it quoted."""
    results = results or Results.load(root / "docs" / "benchmarks.json")
    out = ["# Which format? A decision guide", "",
           "Every route the course teaches for saving a model, what it needs, and what it costs "
           "on the course's own models. Start with the questions; the table has the details.",
           ""]
    out += flow(results)
    out += ["## Every route, measured", ""]
    out += table(["Route", "When to use it", "What loading needs", "Can it carry code?",
                  "Other languages", "Size", "Save", "Start-up (imports + load)", "One row",
                  "1,000 rows", "Lesson"],
                 [row(route, results) for route in routes()])
    out += ["", "## Where the figures come from", "",
            f"Measured by `make bench` (`autograder bench`, section *Format guide figures* of "
            f"[benchmarks.md](benchmarks.md#format-guide-figures)): the run {results.run()}. "
            "Scikit-learn routes hold the credit pipeline (StandardScaler and a random forest "
            "of 100 trees); PyTorch routes the course's `CreditMLP`; LightGBM and XGBoost a "
            "gradient-boosted model on the same data; Keras a copy of the MLP. Compare rows "
            "within one model.", "",
            "- **Size**: the file on disk. **Save**: writing it, or converting, exporting or "
            "compiling where the route needs that (median of the runs).",
            "- **Start-up**: a fresh Python process imports what the format needs and loads the "
            "file, as a server does when it starts; median over fresh processes. "
            "**What loading needs** ends with how many installed packages that process "
            "imported (their names are in benchmarks.md).",
            "- **One row**: the median of 200 one-row predictions after loading, on one thread. "
            "**1,000 rows**: one call on a batch, best of 3.",
            f"- Quoted figures are links marked *quoted* to their source; *{NOT_MEASURED}* "
            "means the course has no figure for that cell.",
            "- Your machine differs: rerun `make bench`, then `autograder pages`."]
    return "\n".join(out) + "\n"
