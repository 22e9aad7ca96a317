"""Benchmark: the multilevel model of the indices (issue 17, items 4–5) against statsmodels' MixedLM.

Usage::

    python benchmarks/bench_model.py [--data DIR] [--wave W] [--repeat K] [--skip-statsmodels]

Without ``--data`` the national synthetic data set (357 municipalities) is generated into
a temporary folder with ``evalkit sample --scale national``. evalkit's route
(:mod:`evalkit.metrics._mixed`: REML from each team's sufficient statistics) fits every
index; MixedLM fits the same design for one index (equality), with team intercepts only
and with teams nested in municipalities, with its default optimiser and with L-BFGS.
Both maximise the same restricted likelihood: the table gives each fit's −2 log L (lower
is better) and its largest difference from evalkit's coefficients.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np


def _design(data_dir: str, wave: str) -> tuple[Any, Any, dict[str, Any]]:
    import polars as pl

    from evalkit.canonical import load
    from evalkit.instrument import load_instrument
    from evalkit.metrics.indices import index_summary, respondent_indices
    from evalkit.metrics.model import model_data

    data = load(data_dir)
    ri = respondent_indices(data.answers, data.respondents.filter(pl.col("wave") == wave),
                            load_instrument().items_frame()).collect()
    frame = model_data(ri, data.teams, wave=wave, dimension="equality")
    facts = {"respondents": frame.height, "teams": frame["team_id"].n_unique(),
             "municipalities": frame["municipality_id"].n_unique()}
    return (ri, data.teams, index_summary(ri, levels=["all"])), frame, facts


def _evalkit_fit(frame: Any, nested: bool) -> Any:
    import polars as pl

    from evalkit.metrics._mixed import fit_random_intercepts, independent_columns

    names = [c for c in frame.columns if c not in ("dimension", "team_id", "municipality_id", "index")]
    x = np.column_stack([np.ones(frame.height), frame.select(names).to_numpy()])
    keep = independent_columns(x.T @ x)
    codes = frame.select(pl.col("team_id", "municipality_id").rank("dense").cast(pl.Int64))
    fit = fit_random_intercepts(frame["index"].to_numpy(), x[:, keep], codes["team_id"].to_numpy(),
                                codes["municipality_id"].to_numpy() if nested else None)
    return fit, x[:, keep], codes


def _best(runs: list[float]) -> str:
    return f"{min(runs):.3f} s (best of {len(runs)}: {', '.join(f'{r:.3f}' for r in runs)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="canonical data folder (default: generate the national sample)")
    parser.add_argument("--wave", default="2026")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-statsmodels", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data
        if data_dir is None:
            data_dir = str(Path(tmp) / "national")
            subprocess.run([sys.executable, "-m", "evalkit.cli", "sample", "--out", data_dir, "--scale", "national"],
                           check=True, capture_output=True)
        (ri, teams, indices), frame, facts = _design(data_dir, args.wave)
        import scipy.optimize  # noqa: F401  (an import is start-up, not fitting)

        from evalkit.metrics.model import involvement_model

        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            model = involvement_model(ri, teams, wave=args.wave, indices=indices)
            runs.append(time.perf_counter() - start)
        print(f"evalkit, every index ({model['dimension'].n_unique()}), nested:  {_best(runs)}")
        fits = {nested: _evalkit_fit(frame, nested) for nested in (False, True)}
        print(f"equality, wave {args.wave}: {facts['respondents']} respondents, {facts['teams']} teams, "
              f"{facts['municipalities']} municipalities; {fits[True][1].shape[1]} fixed effects")
        for nested in (False, True):
            runs = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                fits[nested] = _evalkit_fit(frame, nested)
                runs.append(time.perf_counter() - start)
            label = "teams in municipalities" if nested else "team intercepts only   "
            print(f"evalkit, equality, {label}:  {_best(runs)}, −2 log L {fits[nested][0].criterion:.3f}")
        if args.skip_statsmodels:
            return
        import statsmodels.api as sm

        y = frame["index"].to_numpy()
        for nested, method in ((False, None), (True, None), (True, "lbfgs")):
            fit, x, codes = fits[nested]
            team = codes["team_id"].to_numpy()
            muni = codes["municipality_id"].to_numpy()
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if nested:
                    vc = {"team": {g: (team[muni == g][:, None] == np.unique(team[muni == g])[None, :]).astype(float)
                                   for g in np.unique(muni)}}
                    mixed = sm.MixedLM(y, x, groups=muni, exog_re=np.ones((len(y), 1)), exog_vc=vc)
                else:
                    mixed = sm.MixedLM(y, x, groups=team)
                result = mixed.fit(reml=True) if method is None else mixed.fit(reml=True, method=method)
            seconds = time.perf_counter() - start
            label = ("teams in municipalities" if nested else "team intercepts only   ")
            delta = float(np.max(np.abs(np.asarray(result.fe_params) - fit.estimate)))
            print(f"MixedLM, equality, {label} ({method or 'default'}): {seconds:.1f} s, converged "
                  f"{bool(result.converged)}, −2 log L {-2 * result.llf:.3f}, max |Δβ| {delta:.4f}")


if __name__ == "__main__":
    main()
