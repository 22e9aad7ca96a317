"""The chart templates' public hook: record the template calls of a render, build them again."""

from __future__ import annotations

import pickle

import evalkit.charts.runcharts  # noqa: F401  (registers the run-chart templates)
import evalkit.charts.survey as survey
from evalkit.charts import templates
from evalkit.charts.runcharts import progress_chart_spec
from evalkit.runchart import prepare_progress


def _estimates() -> dict[str, object]:
    rows = [{"category": "a", "order": 0, "estimate": 50.0, "ci_low": 40.0, "ci_high": 60.0, "n": 10,
             "suppressed": False}]
    return survey.estimates_with_intervals(rows, category_title="c", value_title="v", domain=(0, 100),
                                           percent=False, title="t")


def test_every_chart_builder_is_registered() -> None:
    names = set(templates.registered())
    assert {
        "evalkit.charts.survey._likert_template",
        "evalkit.charts.survey._estimates_template",
        "evalkit.charts.survey._differences_template",
        "evalkit.charts.survey._share_bars_template",
        "evalkit.charts.runcharts.measure._measure_template",
        "evalkit.charts.runcharts.progress._progress_template",
    } <= names


def test_recorded_calls_pickle_and_warm_up_builds_the_same_templates() -> None:
    import datetime as dt

    import polars as pl

    progress = pl.DataFrame({"team_id": ["T1"], "period": [dt.date(2025, 1, 1)], "score": [2.0],
                             "assessor": ["faculty"]})
    teams = pl.DataFrame({"team_id": ["T1"], "name": ["A"], "network_id": ["N1"], "municipality_id": ["0301"]})
    with templates.recording() as calls:
        first = _estimates()
        progress_chart_spec(prepare_progress(progress, teams), language="nn")
    assert [c.name.rsplit(".", 1)[1] for c in calls] == ["_estimates_template", "_progress_template"]
    again = pickle.loads(pickle.dumps(calls))
    for builder in templates.registered().values():
        builder.cache_clear()
    assert templates.warm_up(again) == 2
    assert survey._estimates_template.cache_info().currsize == 1
    with templates.recording() as later:
        assert _estimates() == first  # built from the warm cache: a hit, the same spec
    assert survey._estimates_template.cache_info().hits >= 1
    assert len(later) == 1


def test_warm_up_skips_calls_it_cannot_make() -> None:
    stale = [templates.TemplateCall("evalkit.charts.gone._template", (), {}),
             templates.TemplateCall("evalkit.charts.survey._estimates_template", ("too", "few"), {})]
    assert templates.warm_up(stale) == 0


def test_recording_stops_when_the_block_ends() -> None:
    with templates.recording() as calls:
        pass
    _estimates()
    assert calls == []
