"""The Python package against the CLI: same scenarios, same numbers."""

import json
import threading
import time

import numpy as np
import pandas as pd
import pytest

import ipabs
from conftest import LEASE, SCENARIOS

PATHS, SEED = 2_000, 7


def read_csv(path):
    """A CLI CSV as pandas reads it (floats parsed exactly), dates as the package has them."""
    df = pd.read_csv(path, float_precision="round_trip", keep_default_na=True)
    for name in df.columns:
        if name in ("date", "applies_from") or name.endswith("_date"):
            df[name] = pd.to_datetime(df[name], format="%Y-%m-%d")
    return df


def assert_same_frame(ours, cli_csv):
    theirs = read_csv(cli_csv)
    assert list(ours.columns) == list(theirs.columns), cli_csv
    assert len(ours) == len(theirs), cli_csv
    for col in ours.columns:
        a, b = ours[col], theirs[col]
        if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
            np.testing.assert_array_equal(
                a.to_numpy(dtype=float), b.to_numpy(dtype=float), err_msg=f"{cli_csv}:{col}"
            )
        else:
            assert a.tolist() == b.tolist(), f"{cli_csv}:{col}"


# --- loading --------------------------------------------------------------------------


def test_load_by_path(lease):
    assert lease.name
    assert lease.tranche_names[0] == "A1"
    assert lease.path == str(LEASE)
    balances = lease.tranche_balances
    assert list(balances.index) == lease.tranche_names
    assert (balances > 0).all()
    summary = lease.pool_summary
    assert isinstance(summary, dict) and summary
    frame = lease.pool_summary_frame()
    assert "value" in frame.columns and len(frame) > 0


def test_load_by_text_with_overrides():
    text = LEASE.read_text(encoding="utf-8")
    plain = ipabs.load(text=text, base_dir=SCENARIOS)
    # The tranches must add up to the pool: a thinner A1, a thicker Sub.
    edits = {
        "model.correlation.intra_sector": 0.25,
        "tranches.A1.balance": 200_000_000,
        "tranches.Sub.balance": "87000000.00",
    }
    edited = ipabs.load(text=text, base_dir=SCENARIOS, overrides=edits)
    assert plain.tranche_balances["A1"] == 250_000_000
    assert edited.tranche_balances["A1"] == 200_000_000
    assert edited.tranche_balances["Sub"] == 87_000_000
    # The senior class opens at the new balance in the cash flows.
    assert edited.cashflow().tranche("A1")["opening_balance"].iloc[0] == 200_000_000
    assert plain.cashflow().tranche("A1")["opening_balance"].iloc[0] == 250_000_000
    # An override the deal cannot take is reported as the CLI reports it, located.
    with pytest.raises(ipabs.ScenarioError) as err:
        ipabs.load(text=text, base_dir=SCENARIOS, overrides={"tranches.A1.balance": 500_000_000})
    assert "tranche balances add up to 983000000.00" in str(err.value)
    assert str(SCENARIOS / "<text>") in str(err.value)


def test_text_relative_paths_resolve_against_base_dir(tmp_path):
    text = LEASE.read_text(encoding="utf-8")
    with pytest.raises(ipabs.ScenarioError):
        ipabs.load(text=text, base_dir=tmp_path)  # no loan tape there


def test_invalid_scenario_raises_located_scenario_error():
    lines = LEASE.read_text(encoding="utf-8").splitlines()
    k = next(i for i, l in enumerate(lines) if l.strip().startswith("closing_date"))
    lines[k] = 'closing_date = "not a date"'
    with pytest.raises(ipabs.ScenarioError) as err:
        ipabs.load(text="\n".join(lines) + "\n", base_dir=SCENARIOS, name="bad.toml")
    message = str(err.value)
    assert isinstance(err.value, ValueError)
    assert "bad.toml" in message
    assert f":{k + 1}:" in message, message


def test_invalid_file_message_is_the_clis(tmp_path):
    import shutil
    import subprocess

    from conftest import _cli

    shutil.copytree(SCENARIOS / "data", tmp_path / "data")
    bad = tmp_path / "bad.toml"
    lines = LEASE.read_text(encoding="utf-8").splitlines()
    k = next(i for i, l in enumerate(lines) if l.strip().startswith("closing_date"))
    lines[k] = 'closing_date = "not a date"'
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ipabs.ScenarioError) as err:
        ipabs.load(bad)
    assert f"{bad}:{k + 1}:" in str(err.value), str(err.value)
    if _cli().exists():
        done = subprocess.run([str(_cli()), "validate", str(bad)], capture_output=True, text=True)
        assert done.returncode == 2
        assert str(err.value).strip() in done.stderr, (str(err.value), done.stderr)


def test_bad_override_is_a_scenario_error():
    with pytest.raises(ipabs.ScenarioError):
        ipabs.load(LEASE, overrides={"tranches.NOPE.balance": 1})
    with pytest.raises(ipabs.ScenarioError):
        ipabs.load(LEASE, overrides={"model.correlation.intra_sector": 7})


def test_other_failures_are_ipabs_errors(lease):
    with pytest.raises(ipabs.IpabsError):
        lease.cashflow(cdr=2.0)
    with pytest.raises(ipabs.IpabsError):
        lease.monte_carlo(paths=0)


# --- deterministic run ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,flags",
    [
        ({}, []),
        ({"cdr": 0.05, "cpr": 0.02, "recovery": 0.3, "lag": 6},
         ["--cdr", "0.05", "--cpr", "0.02", "--recovery", "0.3", "--lag", "6"]),
    ],
)
def test_cashflow_equals_cli_csvs(lease, cli, tmp_path, kwargs, flags):
    out = tmp_path / "cf"
    cli("cashflow", LEASE, "--out", out, *flags)
    cf = lease.cashflow(**kwargs)
    assert_same_frame(cf.pool, out / "pool_cashflows.csv")
    assert_same_frame(cf.tranches, out / "tranche_cashflows.csv")
    assert_same_frame(cf.fees, out / "fees.csv")
    assert_same_frame(cf.accounts, out / "accounts.csv")
    assert_same_frame(cf.ledger, out / "ledger.csv")
    # Amounts are whole fen: each float is the nearest one to its number of fen / 100.
    for col in ("opening_balance", "interest_paid", "principal_paid", "closing_balance"):
        x = cf.tranches[col].to_numpy()
        np.testing.assert_array_equal(np.round(x * 100) / 100, x, err_msg=col)
    summary = json.loads((out / "summary.json").read_text())
    assert cf.summary_json == summary
    assert cf.periods_run == summary["periods_run"]
    assert cf.pool_balance_at_end == float(summary["pool_balance_at_end"])
    for ours, theirs in zip(cf.metrics.to_dict("records"), summary["tranches"]):
        assert ours["tranche"] == theirs["tranche"]
        assert ours["total_principal"] == float(theirs["total_principal"])
        assert ours["wal_years"] == theirs["wal_years"]


@pytest.mark.parametrize("stem", ["patent-pledge-200m", "patent-royalty-300m"])
def test_cashflow_of_the_other_shipped_scenarios_equals_cli(cli, tmp_path, stem):
    scenario = SCENARIOS / f"{stem}.toml"
    out = tmp_path / stem
    cli("cashflow", scenario, "--out", out)
    cf = ipabs.load(scenario).cashflow()
    assert_same_frame(cf.pool, out / "pool_cashflows.csv")
    assert_same_frame(cf.tranches, out / "tranche_cashflows.csv")
    assert_same_frame(cf.ledger, out / "ledger.csv")


def test_tranches_wide(lease):
    cf = lease.cashflow()
    wide = cf.tranches_wide
    assert len(wide) == cf.periods_run
    assert list(wide["principal_paid"].columns) == lease.tranche_names


# --- Monte Carlo ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_mc(cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("mc") / "run"
    cli("run", LEASE, "--paths", PATHS, "--seed", SEED, "--mc-only", "--no-charts", "--quiet",
        "--out", out)
    return out


@pytest.fixture(scope="module")
def mc(lease):
    return lease.monte_carlo(paths=PATHS, seed=SEED, threads=2)


def test_monte_carlo_summary_equals_cli(mc, cli_mc):
    theirs = json.loads((cli_mc / "mc-summary.json").read_text())
    assert mc.summary.summary_json == theirs
    assert_same_frame(mc.summary.tranches, cli_mc / "mc_tranches.csv")
    assert_same_frame(mc.summary.distributions, cli_mc / "mc_distributions.csv")
    assert_same_frame(mc.summary.tranche_by_date, cli_mc / "mc_tranche_by_date.csv")
    assert_same_frame(mc.summary.defaulted_obligors, cli_mc / "mc_defaulted_obligors.csv")
    assert_same_frame(mc.summary.pool_balance_fan, cli_mc / "mc_pool_balance_fan.csv")
    assert list(mc.summary.pool.index) == ["pool_cumulative_default_rate", "pool_loss_rate"]


def test_monte_carlo_paths_equal_cli_paths_bin(mc, cli_mc):
    descriptor = json.loads((cli_mc / "paths.json").read_text())
    assert list(mc.paths.columns) == descriptor["columns"]
    rows = np.fromfile(cli_mc / "paths.bin", dtype="<f8").reshape(descriptor["rows"], -1)
    np.testing.assert_array_equal(mc.paths.to_numpy(), rows)
    assert len(mc.paths) == PATHS


def test_monte_carlo_does_not_depend_on_threads(lease, mc):
    one = lease.monte_carlo(paths=PATHS, seed=SEED, threads=1)
    assert one.summary_json == mc.summary_json
    pd.testing.assert_frame_equal(one.paths, mc.paths)
    assert one.threads == 1 and mc.threads == 2


def test_importance_sampling_equals_cli(lease, cli, tmp_path):
    out = tmp_path / "is"
    cli("run", LEASE, "--paths", PATHS, "--seed", SEED, "--mc-only", "--no-charts", "--quiet",
        "--importance-sampling", "A3", "--out", out)
    mc = lease.monte_carlo(paths=PATHS, seed=SEED, importance_sampling="A3", threads=1)
    assert mc.summary_json == json.loads((out / "mc-summary.json").read_text())
    assert mc.summary_json["importance_sampling"]["tranche"] == "A3"
    assert mc.paths["likelihood_ratio"].std() > 0


def test_override_matches_cli_sweep_point(cli, tmp_path):
    out = tmp_path / "sweep"
    cli("sweep", LEASE, "--vary", "model.correlation.intra_sector=0.25", "--paths", PATHS,
        "--seed", SEED, "--quiet", "--out", out)
    rows = pd.read_csv(out / "sweep.csv", float_precision="round_trip")
    edited = ipabs.load(LEASE, overrides={"model.correlation.intra_sector": 0.25})
    ours = edited.monte_carlo(paths=PATHS, seed=SEED).summary.tranches.set_index("tranche")
    for _, row in rows.iterrows():
        assert ours.loc[row["tranche"], "expected_loss"] == row["expected_loss"]
        assert ours.loc[row["tranche"], "probability_of_loss"] == row["probability_of_loss"]
    plain = ipabs.load(LEASE).monte_carlo(paths=PATHS, seed=SEED).summary.tranches
    assert not np.array_equal(plain["expected_loss"], ours["expected_loss"].to_numpy())


def test_monte_carlo_releases_the_gil(lease):
    window = {}

    def work():
        window["start"] = time.perf_counter()
        lease.monte_carlo(paths=100_000, seed=1, threads=1)
        window["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    start, end = window["start"], window["end"]
    assert end - start > 0.2, "the run is too short to tell"
    inside = [t for t in ticks if start + 0.05 < t < end - 0.05]
    # Holding the GIL, the native run would leave this thread no tick inside its window.
    assert len(inside) > 1000, len(inside)


# --- break-even and rating ------------------------------------------------------------


def test_breakeven_equals_cli(lease, cli, tmp_path):
    out = tmp_path / "be"
    cli("breakeven", LEASE, "--out", out)
    be = lease.breakeven()
    assert be.attrs["breakeven_json"] == json.loads((out / "breakeven.json").read_text())
    assert_same_frame(be, out / "breakeven.csv")
    assert set(be["tranche"]) == set(lease.tranche_names)


def test_rate_equals_cli(lease, cli, tmp_path):
    out = tmp_path / "rate"
    cli("rate", LEASE, "--paths", PATHS, "--seed", SEED, "--quiet", "--out", out)
    rating = lease.rate(paths=PATHS, seed=SEED)
    theirs = json.loads((out / "rating.json").read_text())
    assert rating.attrs["rating_json"] == theirs
    tranches = theirs["result"]["tranches"]
    assert list(rating["tranche"]) == [t["tranche"] for t in tranches]
    assert list(rating["min_bdr"]) == [t["min_bdr"] for t in tranches]
    assert list(rating["expected_loss"]) == [t["expected_loss"] for t in tranches]
    assert "grade_empirical" in rating.columns
    priced = [t["supported_joint"]["failure_probability"] for t in tranches]
    assert list(rating["priced_failure_probability"]) == priced
