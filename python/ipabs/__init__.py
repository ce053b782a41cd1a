"""ipabs for Python notebooks: IP asset-backed securities scenarios as pandas DataFrames.

Every number comes from the ipabs Rust library (the same functions the ``ipabs`` CLI calls);
this package only converts the library's tables into DataFrames.

Conventions
-----------
* Money: amounts are float64 yuan. The library computes the deterministic run in exact
  decimals rounded to the fen (0.01 yuan) and writes them as decimal text; here that text is
  read as the nearest float64, which is exact to the fen for every amount below 2**53 fen
  (about 9.0e13 yuan): ``round(x * 100)`` gives back the exact number of fen. Monte Carlo
  statistics are the library's own float64 values, bit for bit.
* Rates (default, prepayment, loss, yields) are decimals (0.05 = 5 %), as in the CLI's files.
* Tables have the columns of the CSV files the CLI writes, in the same order; ``date``
  columns are datetime64 (``*_date`` and ``applies_from`` too; missing = NaT).
* Errors: an invalid scenario (or override) raises :class:`ScenarioError` (a ``ValueError``)
  whose message is the located text the CLI prints (file, line, column, field); anything
  else raises :class:`IpabsError`.
* Long runs (Monte Carlo, rating, break-even) release the GIL: other Python threads run
  meanwhile. ``threads`` sizes the worker pool of a run; the results do not depend on it.

>>> import ipabs
>>> s = ipabs.load("scenarios/ip-lease-733m.toml")
>>> cf = s.cashflow()
>>> mc = s.monte_carlo(paths=10_000, seed=42)
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _native
from ._native import IpabsError, ScenarioError

__all__ = [
    "load",
    "Scenario",
    "Cashflow",
    "MonteCarlo",
    "MonteCarloSummary",
    "ScenarioError",
    "IpabsError",
]

__version__ = _native.__version__

_DATE_COLUMNS = ("date", "applies_from")


def _frame(columns: Mapping[str, list]) -> pd.DataFrame:
    """A DataFrame from the native module's column dict, dates parsed."""
    df = pd.DataFrame(dict(columns))
    for name in df.columns:
        if name in _DATE_COLUMNS or name.endswith("_date"):
            df[name] = pd.to_datetime(df[name], format="%Y-%m-%d")
    return df


def _override_text(key: str, value: Any) -> Union[str, List[str]]:
    if isinstance(value, bool):
        raise ScenarioError(f"error: override {key}: expected a number, found {value!r}")
    if isinstance(value, (int, Decimal, str)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (np.integer, np.floating)):
        return _override_text(key, value.item())
    if isinstance(value, (list, tuple)):
        return [_override_text(key, v) for v in value]  # type: ignore[misc]
    raise ScenarioError(f"error: override {key}: expected a number, found {value!r}")


def load(
    path: Union[str, os.PathLike, None] = None,
    *,
    text: Optional[str] = None,
    base_dir: Union[str, os.PathLike, None] = None,
    name: str = "<text>",
    overrides: Optional[Mapping[str, Any]] = None,
) -> "Scenario":
    """Loads and validates a scenario, as every ipabs command does.

    ``load(path)`` reads a scenario file; ``load(text=..., base_dir=...)`` takes the TOML
    text itself, as if it were the file ``base_dir/name`` (its loan tape and other relative
    paths resolve against ``base_dir``, the current directory by default; messages name
    ``base_dir/name``).

    ``overrides`` sets values first, by the dotted keys ``ipabs sweep --vary`` takes:
    ``{"model.correlation.intra_sector": 0.25, "tranches.A1.balance": 500_000_000}``
    (numbers, decimal strings, or lists of them for list values; amounts in yuan). The
    deal is validated with them, exactly as a sweep point is.

    Raises :class:`ScenarioError` for an invalid scenario or override.
    """
    if (path is None) == (text is None):
        raise TypeError("ipabs.load takes a path or text=..., not both")
    edits = [(str(k), _override_text(str(k), v)) for k, v in (overrides or {}).items()]
    if text is not None:
        where = os.path.join(os.fspath(base_dir) if base_dir is not None else os.getcwd(), name)
        native = _native.load(where, text, edits)
    else:
        if base_dir is not None:
            raise TypeError("base_dir applies to text=...; a file's paths resolve beside it")
        native = _native.load(os.fspath(path), None, edits)
    return Scenario(native, dict(overrides or {}))


class Cashflow:
    """The deterministic run (``ipabs cashflow``): one row per payment date.

    Attributes (DataFrames, columns as the CLI's CSVs; amounts float64 yuan, exact to the fen):

    * ``pool``: pool_cashflows.csv
    * ``tranches``: tranche_cashflows.csv, long form (one row per date and tranche); see
      :meth:`tranche` and :attr:`tranches_wide` for per-tranche views
    * ``fees``, ``accounts``, ``ledger``: fees.csv, accounts.csv, ledger.csv
    * ``metrics``: per-tranche measures of summary.json (WAL, yield, losses)
    * ``triggers``: the triggers that fired
    * ``summary_json``: the dict the CLI writes to summary.json (``ipabs cashflow``)
    """

    def __init__(self, raw: Dict[str, Any]):
        self.summary_json: Dict[str, Any] = json.loads(raw["summary_json"])
        self.pool = _frame(raw["pool"])
        self.tranches = _frame(raw["tranches"])
        self.fees = _frame(raw["fees"])
        self.accounts = _frame(raw["accounts"])
        self.ledger = _frame(raw["ledger"])
        self.metrics = _frame(raw["metrics"])
        self.triggers = _frame(raw["triggers"])
        self.periods_run: int = raw["periods_run"]
        #: Pool principal outstanding or awaiting recovery after the last date, yuan.
        self.pool_balance_at_end = float(raw["pool_balance_at_end"])
        self.yield_convention: str = raw["yield_convention"]
        #: Recovery cash falling after the last payment date, if any (the CLI's warning).
        self.warning: Optional[str] = raw["warning"]

    def tranche(self, name: str) -> pd.DataFrame:
        """One tranche's rows (one per payment date)."""
        rows = self.tranches[self.tranches["tranche"] == name]
        if rows.empty:
            raise KeyError(name)
        return rows.reset_index(drop=True)

    @property
    def tranches_wide(self) -> pd.DataFrame:
        """The tranche flows one row per payment date, columns (field, tranche)."""
        order = list(dict.fromkeys(self.tranches["tranche"]))
        wide = self.tranches.pivot(index=["period", "date"], columns="tranche")
        return wide.reindex(columns=order, level="tranche")

    def __repr__(self) -> str:
        return f"<ipabs.Cashflow: {self.periods_run} payment dates>"


class MonteCarloSummary:
    """The statistics of a Monte Carlo run (mc-summary.json and the CSVs beside it).

    * ``summary_json``: the dict the CLI writes to mc-summary.json (``ipabs run --mc-only``)
    * ``pool``: the pool's distributions over paths (rows ``pool_cumulative_default_rate``,
      ``pool_loss_rate``; columns mean, std, p5, p50, p95, p99, p99_9), with the support
      statistics in ``pool.attrs``
    * ``tranches``: mc_tranches.csv (per tranche: expected loss, P(loss), WAL, yield, ...)
    * ``distributions``: mc_distributions.csv (pool and per-tranche loss distributions)
    * ``defaulted_obligors``, ``tranche_by_date``, ``pool_balance_fan``,
      ``senior_balance_fan``: the other mc_*.csv files (balances float64 yuan)
    """

    def __init__(self, raw: Dict[str, Any]):
        self.summary_json: Dict[str, Any] = json.loads(raw["summary_json"])
        self.tranches = _frame(raw["tranches"])
        self.distributions = _frame(raw["distributions"])
        self.defaulted_obligors = _frame(raw["defaulted_obligors"])
        self.tranche_by_date = _frame(raw["tranche_by_date"])
        self.pool_balance_fan = _frame(raw["pool_balance_fan"])
        self.senior_balance_fan = _frame(raw["senior_balance_fan"])
        pool = self.distributions[self.distributions["measure"].str.startswith("pool_")]
        self.pool = pool.set_index("measure")
        stats = self.summary_json["pool"]
        self.pool.attrs = {
            "support_drawn_probability": stats["support_drawn_probability"],
            "support_drawn_mean": stats["support_drawn_mean"],
        }

    def __repr__(self) -> str:
        s = self.summary_json
        return f"<ipabs.MonteCarloSummary: {s['paths']} paths, seed {s['seed']}>"


class MonteCarlo:
    """A Monte Carlo run: ``summary`` (:class:`MonteCarloSummary`) and ``paths``.

    ``paths`` has one row per path, in path order, with the columns of the CLI's
    paths.bin (paths.json's ``columns``): the pool's cumulative default and loss rates,
    defaulted obligors, support drawn (yuan), the path's weight, then per tranche its loss
    rate, WAL, yield and missed interest. NaN = not defined.
    """

    def __init__(self, raw: Dict[str, Any]):
        self.summary = MonteCarloSummary(raw)
        columns = list(raw["paths_columns"])
        values = np.frombuffer(raw["paths_bytes"], dtype="<f8").reshape(-1, len(columns))
        self.paths = pd.DataFrame(values, columns=columns)
        self.paths.index.name = "path"
        #: Worker threads the run used.
        self.threads: int = raw["threads"]

    @property
    def summary_json(self) -> Dict[str, Any]:
        return self.summary.summary_json

    def __repr__(self) -> str:
        return f"<ipabs.MonteCarlo: {len(self.paths)} paths>"


class Scenario:
    """A validated scenario (with its overrides), ready to run.

    Created by :func:`load`. ``name``, ``path``, ``currency``, ``tranche_names``,
    ``tranche_balances`` (yuan), ``warnings`` (what the CLI prints to stderr),
    ``pool_summary`` (dict, summary.json's ``pool``) and :meth:`pool_summary_frame`.
    """

    def __init__(self, native: Any, overrides: Dict[str, Any]):
        self._native = native
        self.overrides = overrides

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def path(self) -> str:
        """The scenario file as given (the CLI's ``metadata.scenario_file``)."""
        return self._native.path

    @property
    def currency(self) -> str:
        return self._native.currency

    @property
    def tranche_names(self) -> List[str]:
        return list(self._native.tranche_names)

    @property
    def tranche_balances(self) -> pd.Series:
        """Original balance per tranche, float64 yuan (exact to the fen)."""
        pairs = self._native.tranche_balances
        return pd.Series(
            [float(b) for _, b in pairs], index=[n for n, _ in pairs], name="balance"
        )

    @property
    def warnings(self) -> List[str]:
        return list(self._native.warnings)

    @property
    def pool_summary(self) -> Dict[str, Any]:
        """The pool summary as summary.json has it (amounts as exact decimal strings)."""
        return json.loads(self._native.pool_summary_json())

    def pool_summary_frame(self) -> pd.DataFrame:
        """The pool summary's scalar fields as a one-column DataFrame (amounts float64 yuan)."""
        items = {}
        for k, v in self.pool_summary.items():
            if isinstance(v, (dict, list)):
                continue
            if isinstance(v, str):
                try:
                    v = float(v)
                except ValueError:
                    pass
            items[k] = v
        return pd.DataFrame({"value": pd.Series(items, dtype=object)})

    def cashflow(
        self,
        cdr: Optional[float] = None,
        cpr: Optional[float] = None,
        recovery: Optional[float] = None,
        lag: Optional[int] = None,
    ) -> Cashflow:
        """The deterministic run, as ``ipabs cashflow [--cdr] [--cpr] [--recovery] [--lag]``.

        Rates override the scenario's assumptions (annual CDR and CPR, recovery share, lag in
        months). Amounts in the returned tables are float64 yuan, exact to the fen.
        """
        return Cashflow(self._native.cashflow(cdr, cpr, recovery, lag))

    def monte_carlo(
        self,
        paths: Optional[int] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
        importance_sampling: Optional[str] = None,
    ) -> MonteCarlo:
        """The Monte Carlo, as ``ipabs run --mc-only --paths N --seed S --threads T``.

        ``paths`` and ``seed`` default to the scenario's ``[simulation]``; ``threads`` to every
        core (the results are the same for any count); ``importance_sampling``: a tranche name
        to sample toward its losses. Releases the GIL while the paths run.
        """
        return MonteCarlo(self._native.monte_carlo(paths, seed, threads, importance_sampling))

    def breakeven(self, tranches: Optional[Sequence[str]] = None) -> pd.DataFrame:
        """Break-even default rates (``ipabs breakeven``): breakeven.csv's rows, one per tranche,
        stress and support (with / without), ``bdr`` the pool cumulative default rate reached.

        ``attrs["breakeven_json"]``: the dict of the CLI's breakeven.json;
        ``attrs["minimum"]``: per tranche the lowest BDR and the binding stress.
        """
        raw = self._native.breakeven(list(tranches) if tranches is not None else None)
        df = _frame(raw["rows"])
        df.attrs["breakeven_json"] = json.loads(raw["json"])
        df.attrs["minimum"] = _frame(raw["minimum"])
        return df

    def rate(
        self,
        paths: Optional[int] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
        importance_sampling: Optional[str] = None,
    ) -> pd.DataFrame:
        """The implied rating (``ipabs rate --paths N --seed S``): one row per tranche with its
        BDRs, expected loss (± standard error), WAL, Moody's-scale grade from the loss table,
        and one ``grade_<method>`` column per method with support (``standalone_<method>``
        without; ``grade_priced``: the promisor priced as an obligor, with its P(fail) in
        ``priced_failure_probability`` ± ``priced_failure_std_error``), cells as the CLI prints.

        ``attrs["rating_json"]``: the dict of the CLI's rating.json; ``attrs["grades"]``: the
        grades long form (tranche, basis, method, grade, binding test).
        """
        raw = self._native.rate(paths, seed, threads, importance_sampling)
        df = _frame(raw["tranches"])
        grades = pd.DataFrame(
            raw["grades"], columns=["tranche", "basis", "method", "grade", "binding"]
        )
        for (basis, method), part in grades.groupby(["basis", "method"], sort=False):
            prefix = "grade" if basis == "with_support" else "standalone"
            df[f"{prefix}_{method}"] = df["tranche"].map(dict(zip(part["tranche"], part["grade"])))
        df.attrs["rating_json"] = json.loads(raw["json"])
        df.attrs["grades"] = grades
        return df

    def __repr__(self) -> str:
        return f"<ipabs.Scenario {self.name!r}: tranches {', '.join(self.tranche_names)}>"
