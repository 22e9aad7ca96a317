import nbformat as nbf
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SECTIONS = ["header", "summary", "key_figures", "recruitment", "equality", "impact", "promoters",
            "relatives_and_consultants", "change", "benchmark", "method", "data_quality"]

def make(kind, unit_param, default_unit, title):
    params = f'''from typing import Optional

{unit_param}: str = "{default_unit}"
wave: str = "2026"
compare_wave: Optional[str] = "2025"
data_dir: str = "../data/sample"
prepared_dir: Optional[str] = None
instrument: Optional[str] = None
language: str = "nb"
min_unit_n: int = 10
min_cell_n: int = 5
static_charts: bool = False'''
    cells = [
        new_markdown_cell(
            f"# {title}\n\n*Note for evaluators.* Markdown cells (this one, and any you add) "
            "are notes for you: none is ever published. "
            "Change the parameters in the next cell and choose **Run → Run All Cells**. "
            "Every text the reader sees comes from evalkit in the chosen `language` "
            "(`nb`, `nn` or `en`); numbers below `min_cell_n` people and units with fewer "
            "than `min_unit_n` respondents are suppressed before any chart is drawn. "
            "Publish with `evalkit run` or `evalkit batch`, not with the stock export.",
            metadata={"tags": ["evaluator-note"]}),
        new_code_cell(params, metadata={"tags": ["parameters"]}),
        new_code_cell(
            f"from evalkit.report import {kind}_report\n\n"
            f"report = {kind}_report(\n"
            f"    {unit_param}={unit_param}, wave=wave, compare_wave=compare_wave, data_dir=data_dir,\n"
            "    prepared_dir=prepared_dir, instrument=instrument, language=language,\n"
            "    min_unit_n=min_unit_n, min_cell_n=min_cell_n, static_charts=static_charts,\n"
            ")\nreport.page()"),
    ]
    for s in SECTIONS:
        cells.append(new_code_cell(f"report.{s}()"))
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    for i, c in enumerate(nb.cells):
        c.id = f"{kind}-{i:02d}"
    nbf.write(nb, f"notebooks/{kind}_report.ipynb")

make("network", "network_id", "ost", "Network report (læringsnettverk)")
make("municipality", "municipality_id", "0301", "Municipality report (kommune)")
