"""The management workbook: the summary, RWA, LCR, NSFR, capital, IFRS 9 and IRRBB sheets and the
position-level detail, as ``.xlsx`` bytes written with XlsxWriter (loaded only when a workbook is made).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from banksim import __version__
from banksim.errors import InputError
from banksim.regulation.lcr import lcr_summary
from banksim.regulation.nsfr import nsfr_summary
from banksim.regulation.parameters import regulatory_parameters
from banksim.reporting.cells import workbook_styles
from banksim.reporting.detail import detail_sheets
from banksim.reporting.provisions import ecl_sheet, irrbb_sheet
from banksim.reporting.sheets import capital_sheet, lcr_sheet, nsfr_sheet, rwa_sheet
from banksim.reporting.summary import summary_sheet

UNNAMED_SCENARIO = "unnamed scenario"  # the label of frames passed without a scenario name
NOT_STATED = "not stated"  # the jurisdiction of results passed without one
# The outputs of a run, beyond positions, RWA, liquidity and capital, that get a sheet of their own
# (``outputs`` of excel_workbook): the IFRS 9 summary and the IRRBB results.
SHEET_OUTPUTS = ("ecl_summary", "irrbb", "irrbb_eve", "irrbb_nii")
# Every data string is written as text (write_string, or shared strings for the detail), never
# parsed as a formula, URL or number; these options also keep XlsxWriter's generic write() from it.
WORKBOOK_OPTIONS = {
    "in_memory": True,  # no temporary files
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_format_properties": {"font_name": "Arial", "font_size": 10},  # metric twin on Linux
}


def excel_workbook(
    positions: pd.DataFrame,
    rwa: pd.DataFrame,
    lcr: pd.DataFrame,
    nsfr: pd.DataFrame,
    capital: Mapping[str, Any],
    liquidity: Mapping[str, Any] | None = None,
    scenario: str = UNNAMED_SCENARIO,
    params_hash: str = "",
    parameters: str | None = None,
    outputs: Mapping[str, Any] | None = None,
) -> bytes:
    """The management workbook as ``.xlsx`` bytes.

    Every sheet is set up to print (fit to the page width, header rows repeated; the summary and
    the RWA chart on one page each) and every formula carries its computed value, so tools that
    read stored values (pandas, viewers) see the numbers.

    Parameters
    ----------
    positions, rwa, lcr, nsfr, capital
        Results of :func:`banksim.run_simulation`, :func:`banksim.compute_rwa`,
        :func:`banksim.compute_liquidity` and :func:`banksim.compute_capital` for one bank.
    liquidity : dict, optional
        The liquidity summary; recomputed from ``lcr`` and ``nsfr`` with the default parameters if
        not given.
    scenario : str
        The scenario the results belong to, shown on the summary sheet ("unnamed scenario" if not
        given).
    params_hash : str
        Shown on the summary sheet for reproducibility.
    parameters : str, optional
        The jurisdiction the results were computed under (``PipelineResult.parameters``: a
        preset's name, or "custom"), shown beside the scenario ("not stated" if not given).
    outputs : dict, optional
        Other results of the run by output name (``PipelineResult.outputs``): an "IFRS 9" sheet
        when it holds ``ecl_summary``, an "IRRBB" sheet when it holds ``irrbb`` and ``irrbb_eve``
        (with ``irrbb_nii`` where given).
    """
    import xlsxwriter  # loaded on use: keeps `import banksim` light

    _check_inputs(positions, rwa, lcr, nsfr, capital, scenario, parameters)
    if liquidity is None:
        liquidity = {**lcr_summary(lcr, regulatory_parameters()), **nsfr_summary(nsfr)}
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    styles = workbook_styles(book)
    info = [
        ("Scenario", scenario, None),
        ("Jurisdiction", parameters or NOT_STATED, None),
        ("Positions", len(positions), "fact count"),
        ("Parameters hash", params_hash or "-", "hash"),
        ("banksim version", __version__, None),
        ("Generated (UTC)", dt.datetime.now(dt.UTC).replace(tzinfo=None), "fact date"),
    ]
    summary_sheet(book, styles, {"capital": capital, "liquidity": liquidity}, info)
    rwa_sheet(book, styles, rwa, capital)
    lcr_sheet(book, styles, liquidity)
    nsfr_sheet(book, styles, liquidity)
    capital_sheet(book, styles, capital)
    outputs = outputs or {}
    if isinstance(outputs.get("ecl_summary"), pd.DataFrame):
        ecl_sheet(book, styles, outputs["ecl_summary"])
    if isinstance(outputs.get("irrbb"), Mapping) and isinstance(outputs.get("irrbb_eve"), pd.DataFrame):
        irrbb_sheet(book, styles, outputs["irrbb"], outputs["irrbb_eve"], outputs.get("irrbb_nii"))
    detail_sheets(book, styles, rwa)
    book.close()
    return buffer.getvalue()


def _check_frame(value: Any, argument: str, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise InputError(argument, f"expected a DataFrame, got {type(value).__name__}")
    missing = [c for c in columns if c not in value.columns]
    if missing:
        raise InputError(
            argument, f"is missing columns {missing}; pass the result of the matching bs.compute_ step"
        )
    return value


def _check_inputs(
    positions: Any, rwa: Any, lcr: Any, nsfr: Any, capital: Any, scenario: Any, parameters: Any
) -> None:
    """Each result of the right kind, and the RWA lines of these positions; or an InputError."""
    _check_frame(positions, "positions", ["position_id", "side", "drawn_amount"])
    _check_frame(rwa, "rwa", ["position_id", "risk_type", "exposure_class", "approach", "exposure", "rwa"])
    _check_frame(lcr, "lcr", ["position_id", "section", "category", "weighted_amount"])
    _check_frame(nsfr, "nsfr", ["position_id", "section", "category", "weighted_amount"])
    if not isinstance(capital, Mapping) or "ratios" not in capital:
        raise InputError("capital", "expected the statement of bs.compute_capital()")
    if not isinstance(scenario, str) or not scenario.strip():
        raise InputError("scenario", f"expected a scenario name, got {scenario!r}", allowed="a non-empty str")
    if parameters is not None and (not isinstance(parameters, str) or not parameters.strip()):
        raise InputError(
            "parameters",
            f"expected a jurisdiction's name, got {parameters!r}",
            allowed="a non-empty str or None",
        )
    credit = rwa.loc[(rwa["risk_type"].astype(str) == "credit").to_numpy(), "position_id"].astype(str)
    known = pd.Index(positions["position_id"].astype(str))
    unknown = credit[(known if known.is_unique else known.unique()).get_indexer(credit) < 0]
    if len(unknown):
        raise InputError(
            "rwa",
            "holds positions that are not in 'positions' (mismatched frames)",
            failure_cases=sorted(set(unknown))[:5],
        )
