# %% [markdown]
# # ipabs from Python: the IP-lease deal in a notebook
#
# A notebook-shaped script: Jupyter (with jupytext) and VS Code open the `# %%` cells as a
# notebook; `python docs/python-example.py` runs it top to bottom. Install the package first
# (`bash python/setup-venv.sh`, see docs/python.md).
#
# Amounts are float64 yuan, exact to the fen; rates are decimals (0.05 = 5 %).

# %%
import time
from pathlib import Path

import pandas as pd

import ipabs

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 12)

root = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd()
scenario = ipabs.load(root / "scenarios" / "ip-lease-733m.toml")
print(scenario)
print(scenario.tranche_balances)

# %% [markdown]
# ## The pool
# The pool summary as summary.json has it (amounts as exact decimal strings there, float64
# yuan in the frame).

# %%
print(scenario.pool_summary_frame())

# %% [markdown]
# ## The deterministic run (`ipabs cashflow`)
# One row per payment date for the pool; the tranche flows in long form (one row per date
# and tranche), or one tranche at a time.

# %%
cf = scenario.cashflow()
print(cf.pool.head())
print(cf.tranche("A1")[["date", "opening_balance", "interest_paid", "principal_paid",
                        "closing_balance"]].head())
print(cf.metrics[["tranche", "original_balance", "wal_years", "yield_at_par", "loss_rate"]])

# %% [markdown]
# A stressed case: 8 % CDR, 40 % recovery after 12 months.

# %%
stressed = scenario.cashflow(cdr=0.08, recovery=0.4, lag=12)
print(stressed.metrics[["tranche", "principal_loss", "loss_rate"]])

# %% [markdown]
# ## Monte Carlo (`ipabs run --mc-only`): 10,000 paths
# The run releases the GIL; `threads` sizes the worker pool, the results do not depend on it.

# %%
started = time.perf_counter()
mc = scenario.monte_carlo(paths=10_000, seed=20240601)
print(f"{len(mc.paths)} paths in {time.perf_counter() - started:.2f} s on {mc.threads} threads")
print(mc.summary.pool)
print(mc.summary.tranches[["tranche", "expected_loss", "expected_loss_std_error",
                           "probability_of_loss", "wal_mean_years", "yield_mean"]])
print(mc.paths.head())

# %% [markdown]
# ## Break-even default rates (`ipabs breakeven`)

# %%
be = scenario.breakeven()
print(be.attrs["minimum"][["tranche", "base_with_support", "min_with_support",
                           "binding_stress_with_support"]])
print(be.head())

# %% [markdown]
# ## Implied rating (`ipabs rate`)

# %%
rating = scenario.rate(paths=10_000, seed=20240601)
print(rating[["tranche", "min_bdr", "expected_loss", "wal_years", "expected_loss_grade",
              "grade_empirical", "grade_priced"]])

# %% [markdown]
# ## What if: a thinner A1, a thicker subordinate class, less correlation
# Overrides take the dotted keys of `ipabs sweep --vary` (the tranches must still add up to the
# pool: an override the deal cannot take raises `ipabs.ScenarioError`, located in the file).

# %%
what_if = ipabs.load(
    root / "scenarios" / "ip-lease-733m.toml",
    overrides={
        "model.correlation.intra_sector": 0.25,
        "tranches.A1.balance": 200_000_000,
        "tranches.Sub.balance": 87_000_000,
    },
)
print(what_if.tranche_balances)
print(what_if.monte_carlo(paths=10_000, seed=20240601).summary.tranches[
    ["tranche", "expected_loss", "probability_of_loss"]])
