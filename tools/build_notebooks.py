"""Write the notebooks under notebooks/ from the cells below (the single source of their content).

Run ``make notebooks`` (``python tools/build_notebooks.py``) after editing: it writes, executes and
keeps the outputs of the golden cells (tagged ``nbval-check-output``), which nbval compares in CI, and
the images of the chart cells (tagged ``chart``), which nbval never compares. It executes on a
temporary store that it removes, so the project's ``./data`` is never touched.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent / "notebooks"
GOLDEN = ["nbval-check-output", "keep_output"]
CHART = ["chart"]  # the cell's image/png output is kept in the committed notebook

SETUP = """import os

# Results are kept in the project's store: DB_URL and ARTIFACT_PATH from the environment, else from
# the project's .env, else ./data in the project folder (the nearest folder above this notebook with
# a .env, pyproject.toml or .git). Reopening the notebook is served from that cache; point DB_URL at a
# shared PostgreSQL store (DB_URL=postgresql+psycopg://user@host/db) to share results with your team.
NUM_POSITIONS = int(os.environ.get("BANKSIM_NB_POSITIONS", "5000"))

import banksim as bs
from banksim import plots"""


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip())


def code(text: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = tags
    return cell


def notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    book = new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.metadata["language_info"] = {"name": "python"}
    return book


QUICKSTART = [
    md("""
# 1. Quick start: a bank, every metric, and the cache

This notebook builds a synthetic universal bank, computes its risk-weighted assets, liquidity ratios
and capital statement, shows that asking twice costs nothing (the second call is read from the
cache), and writes an Excel workbook for management. Every figure traces back to a rule in the
Basel Framework (`rule` column), and every step can be fed with your own data (notebook 5).
"""),
    code(SETUP, tags=["parameters"]),
    md("""
Everything computed below is kept in this store, so the next time you open the notebook (or run
`banksim demo` from the project folder) it is read back instead of recomputed:
"""),
    code("""
bs.get_store()
"""),
    md("""
## The bank

`run_simulation` generates the balance sheet: loans, securities, deposits, funding, off-balance
commitments, derivatives and own funds. It returns the positions and whether they came from the
cache. The first call on a new store computes; asking again is a cache hit.
"""),
    code("""
positions, hit = bs.run_simulation(NUM_POSITIONS, seed=42, include_derivatives=True)
print(bs.run_simulation.last_call.describe().split(":")[0], "cache hit:", hit)
positions_again, hit_again = bs.run_simulation(NUM_POSITIONS, seed=42, include_derivatives=True)
assert hit_again is True and positions_again.equals(positions)
"""),
    code("""
sides = positions.groupby("side", observed=True)["drawn_amount"].sum()
# The balance sheet balances to the cent: assets = liabilities + equity.
assert abs(sides["asset"] - sides["liability"] - sides["equity"]) < 0.01
bs.styled(sides)
"""),
    md("""
## Risk-weighted assets

One row per exposure, per derivative netting set and one for operational risk, each with its
exposure, risk weight, RWA and the paragraph applied. The summary adds them up by class.
"""),
    code("""
rwa, _ = bs.compute_rwa(positions)
summary = bs.rwa_summary(rwa)
assert abs(summary["rwa"].sum() - rwa["rwa"].sum()) < 1e-3
bs.styled(summary)
"""),
    code(
        """
plots.rwa_by_class(rwa)
""",
        tags=CHART,
    ),
    md("""
## Liquidity and capital

The LCR compares high-quality liquid assets with 30 days of stressed net outflows; the NSFR
compares available with required stable funding. The capital statement puts CET1, Tier 1 and
total capital against the minima and buffers, and says how much of its earnings the bank may pay out.
"""),
    code("""
lcr, nsfr, liquidity, _ = bs.compute_liquidity(positions)
capital, _ = bs.compute_capital(rwa, bs.own_funds(positions))
ratios = capital["ratios"]
# A plausible bank: CET1 10-18%, LCR 110-250%, NSFR 100-140%.
assert 0.10 <= ratios["cet1_ratio"] <= 0.18
assert 1.10 <= liquidity["lcr"] <= 2.50 and 1.00 <= liquidity["nsfr"] <= 1.40
assert capital["mda"]["maximum_payout_ratio"] == 1.0
"""),
    code(
        """
print(f"CET1 {ratios['cet1_ratio']:.1%} | Tier 1 {ratios['tier1_ratio']:.1%} | "
      f"Total {ratios['total_capital_ratio']:.1%} | LCR {liquidity['lcr']:.0%} | NSFR {liquidity['nsfr']:.0%}")
""",
        tags=GOLDEN,
    ),
    code(
        """
plots.lcr_waterfall(liquidity)
""",
        tags=CHART,
    ),
    md("""
`bs.styled` shows a table the way a report does (amounts with thousands separators, ratios in %);
the frame itself keeps its numbers for code. The liquidity summary, then the capital statement:
"""),
    code("""
bs.styled(liquidity)
"""),
    code("""
statement = bs.capital_statement(capital)
assert statement["value"].dtype == "float64"
bs.styled(statement)
"""),
    code(
        """
plots.capital_stack(capital)
""",
        tags=CHART,
    ),
    md("""
## Everything again, from the cache

The same calls with the same inputs are read back from the store: the positions are keyed by
their content, so RWA, liquidity and capital are hits too.
"""),
    code(
        """
_, rwa_hit = bs.compute_rwa(positions)
*_, liquidity_hit = bs.compute_liquidity(positions)
_, capital_hit = bs.compute_capital(rwa, bs.own_funds(positions))
assert rwa_hit and liquidity_hit and capital_hit
print(bs.compute_rwa.last_call.describe().split(":")[1].strip().split(" in ")[0])
""",
        tags=GOLDEN,
    ),
    md("""
## An Excel workbook for management

A summary sheet with the ratios against their requirements (red when breached), then RWA, LCR,
NSFR and the capital statement, and the position-level detail.
"""),
    code(
        """
from pathlib import Path

import openpyxl

workbook, _ = bs.create_excel_export(positions, rwa, lcr, nsfr, capital, liquidity)
reports = bs.project_root() / "data" / "reports"  # in the project folder, beside the default store
reports.mkdir(parents=True, exist_ok=True)
path = reports / "banksim_report.xlsx"
path.write_bytes(workbook)
sheets = openpyxl.load_workbook(path, read_only=True).sheetnames
assert sheets[:5] == ["Summary", "RWA", "LCR", "NSFR", "Capital"]
print(sheets)
""",
        tags=GOLDEN,
    ),
]

EXPLORER = [
    md("""
# 2. Scenario explorer

Pick a scenario from the library or move a slider: the bank is re-run under the new shocks, only the
steps that depend on them are recomputed, and the status says which steps were *loaded from cache*
and which were *computed*. Each headline shows its requirement (with the rule it comes from), the
surplus, a red/amber/green status (amber: met by less than a margin) and the change against the
baseline. *Excel workbook* offers the scenario's workbook as a download; *Force recompute* ignores
the cache. Below the explorer, cells drive it the way you would with the mouse, and check what it
shows.
"""),
    code(SETUP, tags=["parameters"]),
    code("""
from banksim.widgets import ScenarioExplorer

explorer = ScenarioExplorer(num_positions=NUM_POSITIONS, seed=42)
explorer
"""),
    md("The page opens on the baseline, so every change against the baseline is zero:"),
    code("""
assert explorer.last.error is None, explorer.last.error
assert [line.label for line in explorer.last.headlines][:2] == ["CET1 ratio", "Tier 1 ratio"]
assert all(line.change == 0 for line in explorer.last.headlines)
"""),
    md("""
House prices 30% lower raise the loan-to-value of every mortgage, hence its risk weight: CET1 falls.
Moving the slider back finds every step in the cache.
"""),
    code("""
explorer.controls["house_price_change"].value = -30
cet1 = explorer.last.headlines[0]
assert cet1.label == "CET1 ratio" and cet1.change < 0, cet1
explorer.controls["house_price_change"].value = 0
assert explorer.last.summary() == "loaded from cache"
"""),
    md("""
Choosing a library scenario sets the sliders to its shocks. The combined scenario breaks the
liquidity minima while the capital ratios still meet their overall requirements:
"""),
    code(
        """
explorer.controls["scenario"].value = "combined"
assert explorer.controls["pd_multiplier"].value == 2.5 and explorer.controls["house_price_change"].value == -25
for line in explorer.last.headlines:
    print(f"{line.label:32} {line.cells()['Status']}")
""",
        tags=GOLDEN,
    ),
    md("A countercyclical buffer only raises the capital requirements: RWA and liquidity are cache hits."),
    code("""
explorer.controls["scenario"].value = "baseline"
before = explorer.last.headlines[0].requirement
explorer.controls["countercyclical_rates"].value = 1.0  # percent
assert explorer.last.status["Risk-weighted assets"] == "loaded from cache"
assert explorer.last.headlines[0].requirement > before
"""),
    md("*Excel workbook* builds the current scenario's workbook and offers it as a download link:"),
    code("""
import base64
import io

import openpyxl

explorer.workbook_button.click()
link = explorer.download.value
assert "banksim-baseline-adjusted.xlsx" in link, link[:200]
data = base64.b64decode(link.split("base64,")[1].split("'")[0])
assert "Summary" in openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames
"""),
    code("""
explorer.force_button.click()
assert explorer.last.summary().startswith("computed")
assert explorer.error.value == ""
"""),
]

SQL = [
    md("""
# 3. SQL across every cached result

Every result the cache holds is a table DuckDB can query: `rwa`, `liquidity_lcr`, `positions`,
the capital statements (`capital`), the liquidity summaries and a `pipeline` table with one row
per scenario run; `configurations` lists every cached call with its parameters as columns.
"""),
    code(SETUP, tags=["parameters"]),
    code("""
runs = {name: bs.run_pipeline(NUM_POSITIONS, seed=7, scenario=name)
        for name in ("baseline", "mild_recession", "severe_recession")}
"""),
    md("""
The store may hold many other runs (other banks, other sweeps, a team's shared store), so the
queries below keep to the runs this notebook made: the pipeline records whose step results are the
ones `runs` returned, found by their keys.
"""),
    code("""
def keys(step):
    return ", ".join(f"'{run.steps[step]['key']}'" for run in runs.values())

OURS = f'''p.steps_rwa_key IN ({keys("rwa")}) AND p.steps_liquidity_key IN ({keys("liquidity")})
          AND p.steps_capital_key IN ({keys("capital")})'''
"""),
    code("""
by_class = bs.query(f'''
    WITH ours AS (
        SELECT DISTINCT c.scenario_name AS scenario, p.steps_rwa_key AS rwa_key
        FROM pipeline p JOIN configurations c USING (params_hash) WHERE {OURS})
    SELECT o.scenario, r.exposure_class, SUM(r.rwa) / 1e9 AS rwa_bn
    FROM ours o JOIN rwa r ON r.params_hash = o.rwa_key
    GROUP BY ALL ORDER BY scenario, rwa_bn DESC
''')
wide = by_class.pivot(index="exposure_class", columns="scenario", values="rwa_bn")
# SQL over the store gives what the pipeline returned.
assert sorted(wide.columns) == sorted(runs)
for name, run in runs.items():
    assert abs(wide[name].sum() * 1e9 - run.rwa["rwa"].sum()) < 1.0
bs.styled(wide, labels=False)
"""),
    code(
        """
headline = bs.query(f'''
    SELECT DISTINCT c.scenario_name AS scenario, p.headline_cet1_ratio AS cet1_ratio,
           p.headline_lcr AS lcr, p.headline_nsfr AS nsfr
    FROM pipeline p JOIN configurations c USING (params_hash) WHERE {OURS} ORDER BY scenario
''').set_index("scenario")
assert len(headline) == len(runs)
assert headline.loc["severe_recession", "cet1_ratio"] < headline.loc["baseline", "cet1_ratio"]
print(headline[["cet1_ratio", "lcr", "nsfr"]].to_string(float_format="{:.3f}".format))
""",
        tags=GOLDEN,
    ),
    md("""
The ready-made queries cover every recorded run (`seed` and `num_positions` tell them apart):
`bs.headline_by_scenario()`, `bs.rwa_by_class_across_scenarios()`, `bs.liquidity_by_scenario()`.
"""),
    code("""
liquidity = bs.liquidity_by_scenario()
ours = liquidity[(liquidity["seed"] == 7) & (liquidity["num_positions"] == NUM_POSITIONS)]
assert set(ours["scenario"]) == set(runs)
bs.styled(ours[["scenario", "hqla", "net_outflows", "lcr", "asf", "rsf", "nsfr"]].drop_duplicates())
"""),
    code("""
shocks = bs.query(f'''
    SELECT DISTINCT scenario_name, scenario_shocks_pd_multiplier AS pd_multiplier,
           scenario_shocks_house_price_change AS house_price_change
    FROM configurations
    WHERE params_hash IN (SELECT params_hash FROM pipeline p WHERE {OURS})
    ORDER BY scenario_name
''')
assert list(shocks["pd_multiplier"]) == [1.0, 1.5, 2.5]
bs.styled(shocks)
"""),
    md("""
## Where did this number come from?

Every stored table records its content hash, so a result can name the results it was computed
from: the severe-recession capital statement came from an RWA table (and the trading book, for
the leverage exposure), computed from the shocked positions, their ECL lines and their protection,
all derived from the generated bank. `bs.used_by` walks the other way, and the `inputs`
view holds the same edges for SQL.
"""),
    code(
        """
capital_key = runs["severe_recession"].steps["capital"]["key"]
trail = bs.lineage(capital_key)
assert set(trail.loc[trail["depth"] == 1, "input_kind"]) == {"rwa", "trading_book"}
# RWA read the shocked positions, their ECL lines and protection; at the end, the generated bank
assert {"ecl_lines", "scenario_positions", "protection", "positions"} <= set(trail["input_kind"])
print(trail[["depth", "argument", "input_kind", "input_function"]].to_string(index=False))
""",
        tags=GOLDEN,
    ),
]

STRESS = [
    md("""
# 4. Stress testing with the scenario library

Six named scenarios ship with banksim, each with its assumptions written down. A sweep runs them
all through the cached pipeline and returns one row of headline metrics per scenario; a scenario
that fails is reported with its error and does not stop the others.
"""),
    code(SETUP, tags=["parameters"]),
    code("""
for scenario in bs.SCENARIOS.values():
    print(f"{scenario.name}: {scenario.description}")
"""),
    code("""
table = bs.sweep(list(bs.SCENARIOS), NUM_POSITIONS, seed=11, progress=False)
assert (table["status"] == "ok").all()
rows = table.set_index("scenario")
assert rows.loc["severe_recession", "cet1_ratio"] < rows.loc["mild_recession", "cet1_ratio"] < rows.loc["baseline", "cet1_ratio"]
assert rows.loc["idiosyncratic_liquidity_run", "lcr"] < rows.loc["baseline", "lcr"]
assert rows.loc["combined", "lcr"] <= rows.loc["idiosyncratic_liquidity_run", "lcr"] + 1e-9
bs.styled(table[["scenario", "cet1_ratio", "leverage_ratio", "lcr", "nsfr", "maximum_payout_ratio"]])
"""),
    code(
        """
plots.scenario_comparison(table)
""",
        tags=CHART,
    ),
    md("""
## A grid of shocks

`scenario_grid` crosses shock values; here PD multipliers against house-price falls, on a bank
with half of its loans on the IRB approach (PDs move IRB risk weights; house prices move the
standardised real-estate weights through LTVs). The second sweep is served from the cache.
"""),
    code(
        """
grid = bs.scenario_grid(pd_multiplier=[1.0, 2.0], house_price_change=[0.0, -0.3])
irb_bank = {"irb_share": 0.5}
first = bs.sweep(grid, NUM_POSITIONS, seed=11, config=irb_bank, progress=False)
again = bs.sweep(grid, NUM_POSITIONS, seed=11, config=irb_bank, progress=False)
cet1 = first.set_index("scenario")["cet1_ratio"]
assert cet1.iloc[2] < cet1.iloc[0] and cet1.iloc[1] < cet1.iloc[0]  # each shock lowers CET1
assert again["record"].all() and (again["hits"] == again["steps"]).all()  # nothing recomputed
print(first[["scenario", "cet1_ratio"]].to_string(index=False, float_format="{:.4f}".format))
""",
        tags=GOLDEN,
    ),
    code(
        """
failing = bs.Scenario("too_much_growth", bs.Shocks(product_growth={"corporate_loan": 9.0}))
result = bs.sweep(["baseline", failing], NUM_POSITIONS, seed=11, progress=False).set_index("scenario")
assert result.loc["baseline", "status"] == "ok" and result.loc["too_much_growth", "status"] == "failed"
print(result.loc["too_much_growth", "error"].split(";")[0])
""",
        tags=GOLDEN,
    ),
]

BYOD = [
    md("""
# 5. Bring your own data

Your positions go through the same functions as the synthetic bank. Only `position_id`, `side`
and `drawn_amount` are required; every other column has a documented default
(`docs/positions_schema.md`, or `bs.schema_table()`). Errors name the column, the positions and
what is allowed.
"""),
    code(SETUP, tags=["parameters"]),
    code("""
import pandas as pd
from pathlib import Path

csv = bs.project_root() / "data" / "my_positions.csv"  # in the project folder, beside the default store
csv.parent.mkdir(parents=True, exist_ok=True)
pd.DataFrame([
    {"position_id": "LOAN-1", "side": "asset", "drawn_amount": 1_000_000, "exposure_class": "corporate",
     "sub_class": "general", "rating": "BBB", "counterparty_type": "corporate"},
    {"position_id": "MORT-1", "side": "asset", "drawn_amount": 400_000, "exposure_class": "residential_real_estate",
     "sub_class": "general", "ltv": 0.75, "counterparty_type": "individual"},
    {"position_id": "LINE-1", "side": "off_balance", "drawn_amount": 0, "off_balance_amount": 500_000,
     "off_balance_type": "commitment", "exposure_class": "corporate", "sub_class": "general"},
]).to_csv(csv, index=False)
positions = bs.read_positions(csv)
positions[["position_id", "side", "exposure_class", "rating", "drawn_amount", "off_balance_amount"]]
"""),
    md("""
Worked by hand from the Basel tables: the BBB corporate loan takes 75% (CRE20.42), the mortgage
at 75% LTV 30% (CRE20.82), the undrawn commitment a 40% CCF (CRE20.94) and 100% as an unrated
corporate (CRE20.43): 750,000 + 120,000 + 200,000.
"""),
    code(
        """
rwa = bs.risk_weighted_assets(positions)
credit = rwa[rwa["risk_type"] == "credit"].set_index("position_id")
assert abs(credit.loc["LOAN-1", "rwa"] - 750_000) < 1e-6
assert abs(credit.loc["MORT-1", "rwa"] - 120_000) < 1e-6
assert abs(credit.loc["LINE-1", "rwa"] - 200_000) < 1e-6
print(credit[["exposure", "risk_weight", "rwa", "rule"]].to_string(float_format="{:,.2f}".format))
""",
        tags=GOLDEN,
    ),
    md("A line the rules cannot place is an error that says what to fix, never a default weight:"),
    code(
        """
bad = pd.DataFrame([{"position_id": "X-1", "side": "asset", "drawn_amount": 100.0, "exposure_class": "corporate",
                     "sub_class": "general", "rating": "Baa1"}])
try:
    bs.risk_weighted_assets(bad)
except bs.InputError as error:
    message = str(error)
assert "positions['rating']" in message and "X-1" in message
print(message.split("; allowed")[0])
""",
        tags=GOLDEN,
    ),
]

PROVISIONS = [
    md("""
# 6. Provisions and rate risk: IFRS 9 expected credit loss and IRRBB

A bank's capital story is not complete without its loan-loss provisions and its interest-rate
risk in the banking book. This notebook runs the pipeline on the synthetic universal bank and
explains, with checks worked by hand in the cells:

- **IFRS 9 expected credit loss (ECL)**: how each loan gets its stage (and the trigger that decided
  it), how one loan's allowance follows from its PD, LGD, exposure and effective interest rate, how
  forward-looking scenarios are weighted, and what the allowances do to capital;
- **IRRBB**: the change in the economic value of equity (ΔEVE) under the six prescribed rate
  shocks, the supervisory outlier test against 15% of Tier 1, and the change in net interest
  income (ΔNII) over 12 months.

The rules and the conventions banksim fixes are in `docs/methodology.md` (sections 12 and 13).
"""),
    code(SETUP + "\nimport numpy as np", tags=["parameters"]),
    code("""
run = bs.run_pipeline(NUM_POSITIONS, seed=42)
positions, lines, ecl = run.positions, run.outputs["ecl_lines"], run.outputs["ecl"]
print(f"{ecl['exposures']:,} exposures measured, loss allowance EUR {ecl['total_allowance'] / 1e6:,.1f} m")
"""),
    md("""
## Stages and the triggers that decide them

Every exposure in scope sits in one of three stages: **stage 1** (performing, 12-month ECL),
**stage 2** (a significant increase in credit risk since origination, lifetime ECL) and **stage 3**
(credit-impaired, lifetime ECL on a defaulted exposure). Stage 3 wins over stage 2. The triggers:

| stage | trigger |
|---|---|
| 3 | in default, or 90 days past due or more |
| 2 | more than 30 days past due (30 exactly is not), forborne, on the watchlist, or the PD test: lifetime PD at least twice the one at origination **and** at least 0.5 points higher (switched off for investment-grade ratings) |
| 1 | none of these |

Each line records the triggers of its stage. The check below holds every line against the table,
reading the days past due and the flags from the positions.
"""),
    code("""
staged = lines.merge(
    positions[["position_id", "days_past_due", "is_defaulted", "forborne", "watchlist"]], on="position_id"
)
dpd = staged["days_past_due"]
stage3 = staged["is_defaulted"] | (dpd >= 90)
stage2 = ~stage3 & ((dpd > 30) | staged["forborne"] | staged["watchlist"]
                    | (staged["pd_test_relative"] & staged["pd_test_absolute"] & ~staged["low_credit_risk"]))
expected = np.where(stage3, 3, np.where(stage2, 2, 1))
assert (staged["stage"].to_numpy() == expected).all()
assert (staged.loc[staged["stage"] == 1, "triggers"].astype(str) == "").all()
assert (staged.loc[staged["stage"] > 1, "triggers"].astype(str) != "").all()
staged.groupby(["stage", "triggers"], observed=True).size().rename("exposures").to_frame()
"""),
    md("""
## One loan's allowance, worked by hand

Take a stage 2 bullet loan (fully drawn, more than a year to run). Its allowance is the lifetime
ECL: with a constant annual PD p the survival to time t is (1 − p)^t; over each year k (the last one
shortened to the residual maturity T) the loan defaults with probability S(t_(k−1)) − S(t_k), loses
LGD × EAD, and the loss is discounted at the effective interest rate to the middle of the year:

ECL = Σ_k [(1 − p)^(t_(k−1)) − (1 − p)^(t_k)] × LGD × EAD × (1 + EIR)^(−(t_(k−1) + t_k)/2)

The 12-month ECL (stage 1) keeps only the first year's term.
"""),
    code("""
chosen = staged.merge(
    positions[["position_id", "pd", "lgd", "eir", "drawn_amount", "off_balance_amount",
               "residual_maturity", "amortisation_type"]],
    on="position_id", suffixes=("", "_input"),
)
chosen = chosen[(chosen["stage"] == 2) & (chosen["amortisation_type"] == "bullet")
                & (chosen["off_balance_amount"] == 0) & (chosen["residual_maturity"] > 1)
                & chosen["eir"].notna()].iloc[0]
p, lgd, eir = chosen["pd"], chosen["lgd_input"], chosen["eir"]
ead, maturity = chosen["drawn_amount"], chosen["residual_maturity"]
t = [min(k, maturity) for k in range(int(np.ceil(maturity)) + 1)]
terms = [((1 - p) ** t[k - 1] - (1 - p) ** t[k]) * lgd * ead * (1 + eir) ** (-(t[k - 1] + t[k]) / 2)
         for k in range(1, len(t))]
print(f"{chosen['position_id']}: triggers {chosen['triggers']}, T = {maturity:.4f} years, "
      f"PD {p:.4%}, LGD {lgd:.2%}, EIR {eir:.3%}, EAD EUR {ead:,.0f}")
for k, term in enumerate(terms, start=1):
    print(f"  year {k}: ({t[k - 1]:.4f}, {t[k]:.4f}]  loss {term:,.2f}")
print(f"lifetime ECL by hand {sum(terms):,.2f}; banksim {chosen['loss_allowance']:,.2f}")
assert abs(sum(terms) - chosen["loss_allowance"]) <= 1e-9 * ead
assert abs(terms[0] - chosen["ecl_12m"]) <= 1e-9 * ead  # the 12-month ECL is the first year alone
"""),
    md("""
## Forward-looking scenarios

IFRS 9 asks for an unbiased, probability-weighted amount. A scenario scales the PDs and adds to the
LGDs; ECL is computed under each and weighted: ECL = Σ_s w_s × ECL_s. The pipeline takes the PDs and
LGDs as already weighted (one base scenario); here three scenarios are passed to `bs.compute_ecl`.
The check recomputes every line's allowance as the weighted sum of its per-scenario ECL.
"""),
    code("""
import pandas as pd

scenarios = pd.DataFrame({
    "scenario": ["upside", "central", "downside"],
    "weight": [0.25, 0.5, 0.25],
    "pd_multiplier": [0.8, 1.0, 1.6],
    "lgd_addon": [-0.05, 0.0, 0.10],
})
weighted, weighted_summary, weighted_totals, _ = bs.compute_ecl(positions, scenarios)
for horizon in ("12m", "lifetime"):
    by_hand = sum(s.weight * weighted[f"ecl_{horizon}_{s.scenario}"] for s in scenarios.itertuples())
    assert np.allclose(by_hand, weighted[f"ecl_{horizon}"], rtol=1e-12, atol=1e-9)
chosen_line = weighted.set_index("position_id").loc[chosen["position_id"]]
parts = {s.scenario: chosen_line[f"ecl_lifetime_{s.scenario}"] for s in scenarios.itertuples()}
print(chosen["position_id"], "lifetime ECL by scenario:", {k: round(float(v), 2) for k, v in parts.items()})
print(f"allowance: single scenario EUR {ecl['total_allowance'] / 1e6:,.1f} m, "
      f"three scenarios EUR {weighted_totals['total_allowance'] / 1e6:,.1f} m")
assert weighted_totals["total_allowance"] > ecl["total_allowance"]  # losses are convex in the PD
"""),
    code(
        """
plots.ecl_by_stage(run.outputs["ecl_summary"])
""",
        tags=CHART,
    ),
    md("""
## Provisions in capital

The allowances reach the capital statement (methodology 1.6). For standardised exposures the
stage 3 allowances are specific provisions, already netted from the exposure; the stage 1 and 2
allowances are general provisions that count as Tier 2 capital up to 1.25% of the standardised
credit RWA (CAP10.18). For IRB exposures the allowances are held against the expected loss
PD × LGD × EAD: a shortfall is deducted from CET1, an excess counts in Tier 2 up to 0.6% of IRB
credit RWA (CAP10.20, CAP30.14).
"""),
    code("""
provisions, own = run.capital["provisions"], run.capital["own_funds"]
cap = 0.0125 * provisions["sa_credit_rwa"]  # CAP10.18: 1.25% of standardised credit RWA
assert provisions["sa_general_provisions"] == ecl["sa_general_allowance"]
assert abs(provisions["tier2_general_provisions"] - min(provisions["sa_general_provisions"], cap)) < 1e-6
shortfall = max(0.0, provisions["irb_expected_loss"] - provisions["irb_eligible_provisions"])
assert abs(provisions["cet1_deduction"] - shortfall) < 1e-6  # CAP30.14: an EL shortfall leaves CET1
print(f"general provisions EUR {provisions['sa_general_provisions'] / 1e6:,.1f} m against a cap of "
      f"EUR {cap / 1e6:,.1f} m: Tier 2 gains EUR {provisions['tier2_addition'] / 1e6:,.1f} m")
print(f"total capital ratio {run.capital['ratios']['total_capital_ratio']:.2%}, "
      f"of which provisions {provisions['tier2_addition'] / run.capital['rwa']['floored_rwa']:.2%}")
"""),
    md("""
Under the severe-recession scenario the PDs and LGDs rise: more loans cross into stage 2, the
allowance grows, and with it the general provisions that count in Tier 2 (up to their cap).
"""),
    code(
        """
stressed = bs.run_pipeline(NUM_POSITIONS, seed=42, scenario="severe_recession")
table = bs.sweep(["baseline", "severe_recession"], NUM_POSITIONS, 42, progress=False)
assert stressed.outputs["ecl"]["total_allowance"] > ecl["total_allowance"]
assert stressed.outputs["ecl"]["stage2_share"] > ecl["stage2_share"]
shown = table[["scenario", "ecl_stage2_share", "ecl_stage3_share", "ecl_coverage", "total_capital_ratio"]]
shown = shown.assign(loss_allowance_eur_m=table["total_ecl"] / 1e6)
print(shown.round(4).to_string(index=False))
""",
        tags=GOLDEN,
    ),
    md("""
## Interest-rate risk in the banking book

IRRBB slots every repricing cash flow (principal, coupons, the next reset of a floater,
non-maturity deposits by their behavioural core and caps) into 19 time buckets per currency and
discounts it on the risk-free curve, before and after six prescribed shocks: **parallel up**,
**parallel down**, **steepener**, **flattener**, **short rates up** and **short rates down**
(sizes per currency; post-shock rates floored). ΔEVE = EVE before − EVE after, so a **positive
ΔEVE is a loss**. Across currencies the Basel rule adds up the losses only. The bank is an
**outlier** if the worst scenario's ΔEVE is more than 15% of its Tier 1 capital.
"""),
    code("""
irrbb, eve = run.outputs["irrbb"], run.outputs["irrbb_eve"]
by_currency = eve.pivot(index="currency", columns="scenario", values="delta_eve_reporting")
for scenario, total in irrbb["delta_eve"].items():  # losses only: sum of max(0, ΔEVE) per currency
    assert abs(total - by_currency[scenario].clip(lower=0).sum()) <= 1e-6
test = irrbb["outlier_tests"]["basel"]
assert test["tier1"] == run.capital["own_funds"]["tier1"]
assert test["measure"] == max(0.0, max(irrbb["delta_eve"].values()))
assert abs(test["ratio"] - test["measure"] / test["tier1"]) < 1e-12
assert test["outlier"] == (test["ratio"] > 0.15)  # SRP31.82: more than 15% of Tier 1
(by_currency / 1e6).round(1)
"""),
    code(
        """
plots.delta_eve_by_scenario(irrbb)
""",
        tags=CHART,
    ),
    md("""
ΔNII looks at earnings instead: over the next 12 months, with a constant balance sheet, each
repricing (a floater's reset, a maturing fixed loan rolled over, the non-core part of deposits at
once) earns or pays the shocked rate for the rest of the year. A **positive ΔNII is a gain**. The
disclosure asks for the two parallel shocks; the totals are the plain sum over currencies.
"""),
    code("""
nii = run.outputs["irrbb_nii"]
for scenario in ("parallel_up", "parallel_down"):
    total = nii.loc[nii["scenario"] == scenario, "delta_nii_reporting"].sum()
    assert abs(total - irrbb[f"delta_nii_{scenario}"]) <= 1e-6
    print(f"{scenario.replace('_', ' ')}: ΔNII EUR {total / 1e6:,.1f} m")
worst = irrbb["worst_scenario"].replace("_", " ")
print(f"worst ΔEVE: {worst}, {irrbb['delta_eve_to_tier1']:.1%} of Tier 1 "
      f"({'an outlier' if irrbb['eve_outlier'] else 'not an outlier'})")
"""),
]

APP = [
    code(
        """
import os

from banksim.widgets import ScenarioExplorer

# The configured store: DB_URL and ARTIFACT_PATH from the environment, the project's .env, or ./data.
ScenarioExplorer(num_positions=int(os.environ.get("BANKSIM_APP_POSITIONS", "2000")), seed=42)
""",
        tags=["parameters"],
    ),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_scenario_explorer.ipynb": EXPLORER,
    "03_sql_across_results.ipynb": SQL,
    "04_stress_testing.ipynb": STRESS,
    "05_bring_your_own_data.ipynb": BYOD,
    "06_provisions_and_rate_risk.ipynb": PROVISIONS,
    "explorer_app.ipynb": APP,
}


def execute_and_strip(
    book: nbformat.NotebookNode, env: dict[str, str] | None = None
) -> nbformat.NotebookNode:
    """Run the notebook (in ``env``), then keep the golden cells' outputs and the chart cells' images."""
    from nbclient import NotebookClient

    NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute(env=env)
    for number, cell in enumerate(book.cells):
        cell.id = f"cell-{number}"  # stable ids and no timings: a rebuild changes only what changed
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "chart" in tags:
            cell.outputs = [chart_image(cell)]
        elif "nbval-check-output" not in tags:
            cell.outputs = []
            cell.execution_count = None
    book.metadata.pop("widgets", None)
    return book


def chart_image(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The chart cell's result, reduced to its PNG (an error if it produced none)."""
    for output in cell.outputs:
        if "image/png" in output.get("data", {}):
            output.data = {"image/png": output.data["image/png"]}
            output.metadata = {}
            return output
    raise RuntimeError(f"chart cell produced no image/png: {cell.source[:80]!r}")


def main(execute: bool = True, only: tuple[str, ...] = ()) -> None:
    """Write (and execute) the notebooks, or only those whose names start with one of ``only``."""
    import os
    import tempfile

    ROOT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="banksim-build-") as folder:
        env = {
            **os.environ,
            "DB_URL": f"sqlite:///{folder}/store.db",
            "ARTIFACT_PATH": f"{folder}/artifacts",
            "BANKSIM_PROJECT_ROOT": folder,  # files the notebooks write go there too
        }
        for name, cells in NOTEBOOKS.items():
            if only and not name.startswith(only):
                continue
            book = notebook(cells)
            nbformat.write(execute_and_strip(book, env) if execute else book, ROOT / name)
            print(f"wrote notebooks/{name}")


if __name__ == "__main__":
    import sys

    # python tools/build_notebooks.py [--no-execute] [01 03 ...]: all notebooks, or those named
    main(
        execute="--no-execute" not in sys.argv, only=tuple(a for a in sys.argv[1:] if not a.startswith("--"))
    )
