"""The cached pipeline: each step is a plain function wrapped by ``@cached``.

Every service returns its result(s) and, last, whether it came from the cache; every step can be
called alone with a user's own DataFrame.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from banksim.cache import cached, derived
from banksim.errors import InputError
from banksim.regulation.capital import BufferSettings, CapitalAdequacy, capital_adequacy
from banksim.regulation.liquidity import LiquiditySummary, liquidity
from banksim.regulation.rwa import risk_weighted_assets
from banksim.reporting import UNNAMED_SCENARIO, excel_workbook
from banksim.reporting.workbook import SHEET_OUTPUTS
from banksim.scenarios import Scenario, Shocks, shock_positions
from banksim.synthetic.generator import generate_positions

if TYPE_CHECKING:
    from banksim.pipeline import PipelineResult

__all__ = [
    "apply_market_moves",
    "apply_scenario",
    "compute_capital",
    "compute_cva",
    "compute_ecl",
    "compute_irrbb",
    "compute_liquidity",
    "compute_market_risk",
    "compute_rwa",
    "create_excel_export",
    "generate_protection",
    "run_simulation",
    "run_trading_book",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_rows(positions: Any) -> None:
    """An empty table has no metrics: RWA would be an operational-risk line alone, LCR 0/0."""
    if isinstance(positions, pd.DataFrame) and positions.empty:
        raise InputError("positions", "is empty (no rows)", allowed="a positions table with at least one row")


@cached(kind="positions")
def run_simulation(
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None = None,
    include_derivatives: bool = False,
) -> pd.DataFrame:
    """Generate (or load from the cache) a synthetic bank's positions.

    Parameters
    ----------
    num_positions : int
        Business positions, 1 to 10 million; three own-funds rows are added.
    seed : int
        Seed of the random generator; the same inputs give the same frame in any process.
    config : dict, optional
        Overrides of :data:`banksim.synthetic.profiles.DEFAULT_CONFIG`; unknown keys are an error.
    include_derivatives : bool
        Add derivative trades with their SA-CCR fields.
    use_cache : bool
        ``False`` regenerates and replaces the stored frame.

    Returns
    -------
    positions : pandas.DataFrame
        One row per position, in the schema of :data:`banksim.positions.columns.POSITIONS_SCHEMA`.
    cache_hit : bool
        True if the frame was loaded from the store.
    """
    return generate_positions(num_positions, seed, config, include_derivatives)


@cached(kind="rwa")
def compute_rwa(
    positions: pd.DataFrame,
    parameters: Mapping[str, Any] | None = None,
    business_indicator: pd.DataFrame | None = None,
    annual_losses: Sequence[float] | None = None,
    protection: pd.DataFrame | None = None,
    ecl_lines: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Risk-weighted assets line by line (or from the cache): credit, counterparty, operational.

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table; keyed by content, so a changed value is a new entry.
    parameters : dict, optional
        Overrides of the Basel parameters (e.g. ``{"sa": {"ccf": {"commitment": 0.5}}}``);
        part of the cache key.
    business_indicator : pandas.DataFrame, optional
        Three years of OPE25 items in EUR millions; derived from the balance sheet by default.
    annual_losses : sequence of float, optional
        Annual operational losses in EUR millions.
    protection : pandas.DataFrame, optional
        Collateral, netting deposits, guarantees and credit derivatives keyed by ``position_id``
        (see :data:`banksim.positions.protection.PROTECTION_SCHEMA`, methodology 9.1): SA lines
        take SA credit risk mitigation (``parameters["crm"]["approach"]``, comprehensive by
        default), F-IRB lines LGD*, and the output floor's SA view SA CRM (methodology 9.10).
    ecl_lines : pandas.DataFrame, optional
        The lines of :func:`compute_ecl` for these positions: each line the ECL measures takes its
        stage 3 allowance as its specific provision (0 in stages 1-2, whose allowance is a general
        provision; methodology 1.6). Without them the positions' own ``specific_provisions`` count.
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    rwa : pandas.DataFrame
        See :func:`banksim.regulation.risk_weighted_assets`, with the CRM columns of
        :data:`banksim.regulation.rwa_crm.CRM_RWA_COLUMNS` (exposure before and after CRM, the
        covered and unprotected parts, haircuts, RWA before CRM, the paragraphs applied; neutral
        without protection); summarise with :func:`banksim.rwa_summary`, floor with
        :func:`banksim.output_floor`.
    cache_hit : bool
        True if the result was loaded from the store.
    """
    from banksim.regulation.parameters import regulatory_parameters
    from banksim.regulation.rwa_crm import apply_crm

    _require_rows(positions)
    if ecl_lines is not None:
        from banksim.regulation.provisions import ecl_specific_provisions

        positions = ecl_specific_provisions(positions, ecl_lines)
    rwa = risk_weighted_assets(positions, parameters, business_indicator, annual_losses)
    return _canonical_rules(apply_crm(rwa, positions, protection, regulatory_parameters(parameters)))


# The RWA table's categoricals whose categories come from the lines (the rest take fixed vocabularies).
RULE_COLUMNS = ("rule", "sa_rule", "crm_rule", "sa_crm_rule")


def _canonical_rules(rwa: pd.DataFrame) -> pd.DataFrame:
    """``rwa`` with the categories of :data:`RULE_COLUMNS` those used, sorted: the same lines give the
    same dtype whatever the other lines of the table (a splice of lines is exact, methodology C.46)."""
    for column in RULE_COLUMNS:
        rules = rwa[column].array
        rwa[column] = canonical_rules(rules.codes, rules.categories, rules.ordered)
    return rwa


def canonical_rules(codes: Any, categories: pd.Index, ordered: bool = False) -> pd.Categorical:
    """The Categorical of ``codes`` into ``categories`` with only the categories used, sorted as
    ``sorted()`` sorts text (the dtype of :data:`RULE_COLUMNS`)."""
    import numpy as np

    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(categories)))
    labels = categories.take(used)
    order = np.argsort(labels.to_numpy(dtype=object), kind="stable")  # as sorted() orders str
    recode = np.full(len(categories) + 1, -1, dtype=codes.dtype)  # its last item: -1 stays -1
    recode[used[order]] = np.arange(len(used), dtype=codes.dtype)
    return pd.Categorical.from_codes(recode[codes], labels.take(order), ordered=ordered, validate=False)


@cached(kind="protection")
def generate_protection(
    positions: pd.DataFrame, seed: int, collateral_value_change: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """The synthetic bank's collateral, guarantees and credit derivatives (or from the cache).

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table; its loans and reverse repos get protection (methodology 9.10).
    seed : int
        Seed of the draws; the same positions and seed give the same table in any process.
    collateral_value_change : dict, optional
        Collateral type -> relative change of its market value (a scenario's
        ``collateral_value_change``), applied by :func:`banksim.scenarios.shock_protection`.
    use_cache : bool
        ``False`` regenerates and replaces the stored table.

    Returns
    -------
    protection : pandas.DataFrame
        One row per item (``PROTECTION_SCHEMA``), for :func:`compute_rwa`'s ``protection``.
    cache_hit : bool
        True if the table was loaded from the store.
    """
    from banksim.scenarios import shock_protection
    from banksim.synthetic.protection import generate_protection as synthetic_protection

    _require_rows(positions)
    return shock_protection(synthetic_protection(positions, seed), collateral_value_change or {})


@cached(kind="liquidity", parts=("lcr", "nsfr", "summary"))
def compute_liquidity(
    positions: pd.DataFrame, parameters: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, LiquiditySummary]:
    """LCR and NSFR line by line, and their summary (or from the cache).

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table; keyed by content.
    parameters : dict, optional
        Overrides of the Basel parameters (e.g. ``{"lcr": {"inflow_cap": 0.9}}``); part of the key.
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    lcr : pandas.DataFrame
        One row per position and derivative netting set with section, category, rate and rule.
    nsfr : pandas.DataFrame
        One row per position (and the derivative lines) with its ASF or RSF factor and rule.
    summary : LiquiditySummary
        HQLA before and after caps, outflows, inflows, LCR, ASF, RSF, NSFR and the minima met.
    cache_hit : bool
        True if the result was loaded from the store.
    """
    _require_rows(positions)
    return liquidity(positions, parameters)


@cached(kind="capital")
def compute_capital(
    rwa: pd.DataFrame,
    own_funds: Mapping[str, float] | pd.DataFrame,
    buffers: BufferSettings | Mapping[str, Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
    cva_rwa: float = 0.0,
    market_risk_rwa: float = 0.0,
    provisions: Mapping[str, float] | None = None,
    trading_book: pd.DataFrame | None = None,
) -> CapitalAdequacy:
    """The capital statement (or from the cache): ratios, buffers, MDA and leverage.

    Parameters
    ----------
    rwa : pandas.DataFrame
        The result of :func:`compute_rwa`.
    own_funds : dict or DataFrame
        ``cet1``, ``at1``, ``tier2`` and optional ``cet1_deductions`` (see :func:`banksim.own_funds`
        for a generated bank).
    buffers : BufferSettings or dict, optional
        Countercyclical rates by jurisdiction, G-SIB bucket, D-SIB rate, Pillar 2 requirement.
    parameters : dict, optional
        Overrides of the Basel parameters; part of the key.
    as_of : datetime.date, optional
        Date of the output-floor phase-in; by default the full 72.5%.
    provisions : dict, optional
        IFRS 9 allowances in capital (:func:`banksim.regulation.provisions.provisions_in_capital`):
        Tier 2 general and excess provisions, the IRB shortfall deducted from CET1.
    cva_rwa, market_risk_rwa : float
        CVA and market-risk RWA (``summary["rwa"]`` of :func:`compute_cva` and
        :func:`compute_market_risk`), 0 by default; both enter the ratios and the output-floor base.
    trading_book : pandas.DataFrame, optional
        The trading book (:func:`run_trading_book`): its leverage exposure (LEV30,
        :func:`banksim.regulation.leverage.trading_book_leverage_exposure`, methodology 1.5 and
        C.48) enters the exposure measure; none by default.
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    capital : CapitalAdequacy
        See :func:`banksim.regulation.capital_adequacy`; :func:`banksim.capital_statement` shows it
        as a table.
    cache_hit : bool
        True if the result was loaded from the store.
    """
    # the same trading book in every scenario of a sweep: its exposure derived once
    exposure = 0.0 if trading_book is None else derived(_trading_book_exposure, trading_book, parameters)
    return capital_adequacy(
        rwa, own_funds, buffers, parameters, as_of, cva_rwa, market_risk_rwa, provisions=provisions,
        trading_book_leverage_exposure=exposure,
    )  # fmt: skip


def _trading_book_exposure(trading_book: pd.DataFrame, parameters: Mapping[str, Any] | None) -> float:
    """The trading book's leverage exposure in the exposure measure (LEV30, methodology C.48)."""
    from banksim.regulation.leverage import trading_book_leverage_exposure

    return float(trading_book_leverage_exposure(trading_book, parameters)["leverage_exposure"].sum())


@cached(kind="ecl", parts=("lines", "summary", "totals"))
def compute_ecl(
    positions: pd.DataFrame,
    scenarios: Sequence[Any] | pd.DataFrame | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """IFRS 9 expected credit loss of the positions in scope (or from the cache).

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table; its impairment products with a PD (or in default) are measured
        (methodology 12.9 says what a missing input means).
    scenarios : sequence of EclScenario or DataFrame, optional
        Forward-looking scenarios (``scenario``, ``weight``, ``pd_multiplier``, ``lgd_addon``);
        by default ``parameters["ecl"]["scenarios"]`` (one base scenario).
    parameters : dict, optional
        Overrides of the Basel parameters; the ECL ones under ``"ecl"`` (staging thresholds, ...).
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    lines : pandas.DataFrame
        One row per exposure: stage and triggers, PDs, EAD, LGD, ECL per scenario and weighted,
        loss allowance, the rule applied, and the line's credit-risk approach.
    summary : pandas.DataFrame
        Exposures, EAD and allowance by stage and exposure class.
    totals : dict
        Allowance by stage and approach, stage 2 and 3 shares of EAD, coverage.
    cache_hit : bool
        True if the result was loaded from the store.
    """
    from banksim.regulation.ecl import compute_ecl as ecl_rule
    from banksim.regulation.ecl_inputs import ecl_exposures
    from banksim.regulation.ecl_totals import ecl_totals
    from banksim.regulation.parameters import regulatory_parameters

    _require_rows(positions)
    params = regulatory_parameters(parameters)["ecl"]
    exposures = ecl_exposures(positions, params)
    result = ecl_rule(exposures, scenarios, params)
    lines = result.lines.assign(approach=exposures["approach"].to_numpy())
    return lines, result.summary, ecl_totals(lines)


@cached(kind="irrbb", parts=("eve", "buckets", "nii", "summary"))
def compute_irrbb(
    positions: pd.DataFrame, tier1: float, parameters: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """IRRBB under the six standard shocks: ΔEVE, the outlier tests and ΔNII (or from the cache).

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table; its repricing columns (methodology 13.10 says what a missing one means).
    tier1 : float
        Tier 1 capital (the outlier tests' denominator), in the positions' currency (EUR).
    parameters : dict, optional
        Overrides of the Basel parameters; the IRRBB ones under ``"irrbb"`` (calibration, floor,
        aggregation, base curves, ...).
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    eve : pandas.DataFrame
        ΔEVE per currency and scenario (positive = loss) with the rule.
    buckets : pandas.DataFrame
        Cash flows, rates and ΔEVE per currency, scenario and time bucket.
    nii : pandas.DataFrame
        ΔNII per currency and scenario over 12 months (positive = gain).
    summary : dict
        ΔEVE per scenario (Basel and EU aggregation), the worst scenario, ΔEVE / Tier 1, the
        outlier flags, ΔNII of the parallel shocks and the NII test.
    cache_hit : bool
        True if the result was loaded from the store.
    """
    from banksim.regulation.irrbb import compute_irrbb as irrbb_rule
    from banksim.regulation.irrbb_inputs import base_curves, repricing_positions
    from banksim.regulation.irrbb_totals import irrbb_summary
    from banksim.regulation.parameters import regulatory_parameters

    _require_rows(positions)
    params = dict(regulatory_parameters(parameters)["irrbb"])
    table = repricing_positions(positions, params)
    currencies = sorted(set(map(str, table["currency"].cat.categories)))
    params["fx_to_reporting"] = dict.fromkeys(currencies, 1.0)  # amounts are EUR already (methodology 13.10)
    result = irrbb_rule(table, base_curves(currencies, params), tier1, params)
    return result.eve, result.buckets, result.nii, irrbb_summary(result)


@cached(kind="trading_book")
def run_trading_book(
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None = None,
    moves: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Generate (or load from the cache) the synthetic bank's trading book (methodology 11.8).

    Parameters
    ----------
    num_positions, seed, config
        The bank's arguments of :func:`run_simulation`: the profile and total assets size the book.
    moves : dict, optional
        Market moves applied to the generated book (as :func:`apply_market_moves`), e.g.
        ``{"equity_price_change": -0.3}``; its ``revaluation`` column is then the P&L.
    use_cache : bool
        ``False`` regenerates and replaces the stored frame.

    Returns
    -------
    trading_book : pandas.DataFrame
        One row per position in the columns of :data:`banksim.positions.trading_book.TRADING_BOOK_COLUMNS`.
    cache_hit : bool
        True if the frame was loaded from the store.
    """
    from banksim.scenarios import shock_trading_book
    from banksim.synthetic.trading_book import generate_trading_book

    book = generate_trading_book(num_positions, seed, config)
    return book if moves is None else shock_trading_book(book, moves)


@cached(kind="cva", parts=("counterparties", "netting_sets", "hedges", "summary"))
def compute_cva(
    positions: pd.DataFrame,
    rwa: pd.DataFrame,
    parameters: Mapping[str, Any] | None = None,
    counterparties: pd.DataFrame | None = None,
    hedges: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """CVA capital (MAR50) of the derivative netting sets (or from the cache), methodology 10.6.

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table: its derivative lines give each netting set's rating, counterparty type
        and effective maturity.
    rwa : pandas.DataFrame
        The result of :func:`compute_rwa` on ``positions``: its counterparty rows give each netting
        set's SA-CCR EAD and CCR risk weight.
    parameters : dict, optional
        Overrides of the Basel parameters; the CVA ones under ``"cva"`` (``approach``:
        ``ba_cva_reduced`` by default, ``ba_cva_full`` or ``materiality_alternative``; the sector of
        each counterparty type; the MAR50 scalars and weights).
    counterparties : pandas.DataFrame, optional
        Per ``netting_set``: ``counterparty_id``, ``counterparty_sector`` and/or
        ``counterparty_credit_quality`` replacing what the positions give (by default each netting
        set is its own counterparty, its sector from its counterparty type, its quality from its rating).
    hedges : pandas.DataFrame, optional
        Eligible CVA hedges (``ba_cva_full`` only), see :func:`banksim.regulation.cva.cva_capital`.
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    counterparties, netting_sets, hedges : pandas.DataFrame
        The lines of :class:`banksim.regulation.cva.CvaCapital` (empty without derivatives).
    summary : dict
        ``approach``, ``k_reduced``, ``k_hedged``, ``k_full``, ``k_cva``, ``rwa``, ``rule``,
        ``netting_sets`` and ``non_centrally_cleared_notional``.
    cache_hit : bool
        True if the result was loaded from the store.
    """
    from banksim.regulation.cva_inputs import cva_netting_sets
    from banksim.regulation.parameters import regulatory_parameters

    _require_rows(positions)
    params = regulatory_parameters(parameters)["cva"]
    sets, notional = cva_netting_sets(positions, rwa, params, counterparties)
    if sets.empty:
        empty = pd.DataFrame({"counterparty_id": pd.Series(dtype=object), "rwa": pd.Series(dtype=float)})
        nothing = {"approach": params["approach"], "k_reduced": 0.0, "k_hedged": 0.0, "k_full": 0.0,
                   "k_cva": 0.0, "rwa": 0.0, "rule": "MAR50.5 (no derivatives)", "netting_sets": 0,
                   "non_centrally_cleared_notional": 0.0}  # fmt: skip
        return empty, pd.DataFrame({"netting_set": pd.Series(dtype=object)}), empty, nothing
    from banksim.regulation.cva import cva_capital

    result = cva_capital(
        sets, hedges, approach=params["approach"], non_centrally_cleared_notional=notional, parameters=params
    )
    summary = {**result.summary(), "netting_sets": len(sets), "non_centrally_cleared_notional": notional}
    return result.counterparties, result.netting_sets, result.hedges, summary


@cached(kind="market_risk", parts=("lines", "classes", "summary"))
def compute_market_risk(
    trading_book: pd.DataFrame, parameters: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Market-risk capital under the simplified standardised approach (MAR40), or from the cache.

    Parameters
    ----------
    trading_book : pandas.DataFrame
        One row per trading-book position (:data:`banksim.positions.trading_book.TRADING_BOOK_COLUMNS`;
        :func:`run_trading_book` for the synthetic bank).
    parameters : dict, optional
        Overrides of the Basel parameters; the market-risk ones under ``"market_risk"``
        (``option_method``, ``reporting_currency``, charges and scaling factors).
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    lines : pandas.DataFrame
        One row per instrument or issue and per charge, with its rule (methodology 11.1).
    classes : pandas.DataFrame
        Per risk class the requirement, the scaling factor and the scaled requirement.
    summary : dict
        ``k_market``, ``rwa`` (12.5 x K), the scaled requirement per class, ``option_method``,
        ``reporting_currency`` and ``positions``.
    cache_hit : bool
        True if the result was loaded from the store.
    """
    from banksim.regulation.market_risk import market_risk_capital
    from banksim.regulation.parameters import regulatory_parameters

    params = regulatory_parameters(parameters)["market_risk"]
    result = market_risk_capital(trading_book, parameters=params)
    classes = result.classes
    scaled = dict(zip(classes["risk_class"].astype(str), classes["scaled_capital"], strict=True))
    summary = {
        "k_market": result.k_market,
        "rwa": result.rwa,
        "scaled_capital": {k: float(v) for k, v in scaled.items()},
        "option_method": params["option_method"],
        "reporting_currency": params["reporting_currency"],
        "positions": len(trading_book),
        "rule": "MAR40.1-40.2",
    }
    return result.lines, result.classes, summary


@cached(kind="scenario_trading_book")
def apply_market_moves(trading_book: pd.DataFrame, moves: Mapping[str, float]) -> pd.DataFrame:
    """The trading book after a scenario's market moves (or from the cache), methodology 11.8.

    Parameters
    ----------
    trading_book : pandas.DataFrame
        A trading-book table.
    moves : dict
        ``interest_rate_shift``, ``equity_price_change``, ``fx_rate_change`` and
        ``commodity_price_change`` (see :class:`banksim.Shocks`); a missing move is 0.
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    trading_book : pandas.DataFrame
        The moved book, with ``revaluation`` = new - old market value of each row (the P&L that
        the pipeline books into CET1).
    cache_hit : bool
        True if the result was loaded from the store.
    """
    from banksim.scenarios import shock_trading_book

    return shock_trading_book(trading_book, moves)


@cached(kind="scenario_positions")
def apply_scenario(positions: pd.DataFrame, scenario: Scenario | Shocks | Mapping[str, Any]) -> pd.DataFrame:
    """The positions after a scenario's balance-sheet shocks (or from the cache).

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table.
    scenario : Scenario, Shocks or dict
        A scenario, its shocks, or a dict of shocks (unknown names are an error). Only the
        balance-sheet shocks act here; run-off, haircut and buffer shocks act in
        :func:`banksim.run_pipeline` through parameters.
    use_cache : bool
        ``False`` recomputes and replaces the stored result.

    Returns
    -------
    positions : pandas.DataFrame
        The shocked positions (still balanced: cash moves through central bank reserves).
    cache_hit : bool
        True if the result was loaded from the store.
    """
    if isinstance(scenario, Scenario):
        shocks = scenario.shocks
    elif isinstance(scenario, Shocks):
        shocks = scenario
    elif isinstance(scenario, Mapping):
        shocks = Scenario.from_dict({"name": "shocks", "shocks": scenario}).shocks
    else:
        raise InputError("scenario", f"expected a Scenario, Shocks or a dict, got {type(scenario).__name__}")
    return shock_positions(positions, shocks)


@cached(kind="excel_export", mime=XLSX, ignore=("params_hash",))
def _excel_export(
    positions: pd.DataFrame,
    rwa: pd.DataFrame,
    lcr: pd.DataFrame,
    nsfr: pd.DataFrame,
    capital: Mapping[str, Any],
    liquidity: Mapping[str, Any] | None,
    scenario: str,
    params_hash: str,
    parameters: str | None = None,
    sheets: Mapping[str, Any] | None = None,
) -> bytes:
    return excel_workbook(
        positions, rwa, lcr, nsfr, capital, liquidity, scenario, params_hash, parameters, sheets
    )


def create_excel_export(
    positions: pd.DataFrame | PipelineResult,
    rwa: pd.DataFrame | None = None,
    lcr: pd.DataFrame | None = None,
    nsfr: pd.DataFrame | None = None,
    capital: Mapping[str, Any] | None = None,
    liquidity: Mapping[str, Any] | None = None,
    scenario: str | None = None,
    use_cache: bool = True,
) -> tuple[bytes, bool]:
    """The management workbook (``.xlsx`` bytes), cached as an artifact.

    Parameters
    ----------
    positions : PipelineResult or pandas.DataFrame
        The result of :func:`banksim.run_pipeline`, passed whole (its scenario names the
        workbook), or the positions table, with the other results as separate arguments.
    rwa, lcr, nsfr, capital
        One bank's results, when ``positions`` is a table (required then; not with a
        PipelineResult).
    liquidity : dict, optional
        The liquidity summary of :func:`compute_liquidity` (recomputed from the lines if omitted).
    scenario : str, optional
        The scenario shown on the summary sheet. A PipelineResult's own scenario is used (another
        name is an error); separate frames without a name are labelled "unnamed scenario", never
        a name they were not computed under.
    use_cache : bool
        ``False`` rebuilds the workbook.

    Returns
    -------
    workbook : bytes
        The ``.xlsx`` file's content: save it with ``Path("report.xlsx").write_bytes(workbook)``.
        Its summary sheet names the scenario, the jurisdiction (of a PipelineResult), the cache
        key and the banksim version; a PipelineResult's IFRS 9 and IRRBB results get sheets.
    cache_hit : bool
        True if the workbook was loaded from the store.
    """
    from banksim.pipeline import PipelineResult  # the pipeline imports this module

    jurisdiction = None  # known for a PipelineResult only
    sheets = None  # the IFRS 9 and IRRBB results of a PipelineResult
    if isinstance(positions, PipelineResult):
        result = positions
        given = [
            n for n, v in (("rwa", rwa), ("lcr", lcr), ("nsfr", nsfr), ("capital", capital)) if v is not None
        ]
        if given or liquidity is not None:
            raise InputError(
                (given or ["liquidity"])[0],
                "is given beside a PipelineResult, which holds every result already",
                allowed="a PipelineResult alone, or positions, rwa, lcr, nsfr and capital",
            )
        if scenario is not None and scenario != result.scenario.name:
            raise InputError(
                "scenario",
                f"{scenario!r} is not the scenario the result was computed under ({result.scenario.name!r})",
                allowed=[result.scenario.name, None],
            )
        positions, rwa, lcr, nsfr = result.positions, result.rwa, result.lcr, result.nsfr
        capital, liquidity, scenario = result.capital, result.liquidity, result.scenario.name
        jurisdiction = result.parameters
        sheets = {n: result.outputs[n] for n in SHEET_OUTPUTS if n in result.outputs} or None
    missing = [n for n, v in (("rwa", rwa), ("lcr", lcr), ("nsfr", nsfr), ("capital", capital)) if v is None]
    if missing:
        raise InputError(
            missing[0],
            "is required when positions is a table",
            allowed="a PipelineResult alone, or positions, rwa, lcr, nsfr and capital",
        )
    name = UNNAMED_SCENARIO if scenario is None else scenario
    key = _excel_export.key(positions, rwa, lcr, nsfr, capital, liquidity, name, "", jurisdiction, sheets)
    workbook, hit = _excel_export(
        positions, rwa, lcr, nsfr, capital, liquidity, name, key, jurisdiction, sheets, use_cache=use_cache
    )
    return workbook, hit
