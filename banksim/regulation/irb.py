"""IRB risk-weight functions (CRE31-32): correlations, maturity adjustment, PD/LGD floors, F-IRB values.

``irb_capital_requirement`` is the formula on arrays; ``irb_risk_weights`` applies the banksim
conventions (methodology C.12 and C.2) to the IRB lines of a validated positions table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.vocabulary import IRB_ASSET_CLASSES, IRB_CLASSES
from banksim.regulation._frame import Rules, categorical, fail, is_in, labels, lookup
from banksim.regulation.citations import Note, cite, flag

__all__ = ["irb_capital_requirement", "irb_citations", "irb_class", "irb_risk_weights"]

IRB_CLASS_OF_EXPOSURE_CLASS = {
    "sovereign": "sovereign",
    "bank": "bank",
    "covered_bond": "bank",
    "corporate": "corporate",
    "specialised_lending": "corporate",
    "commercial_real_estate": "corporate",
    "subordinated_debt": "corporate",
    "retail": "other_retail",
}


def irb_capital_requirement(
    irb_class: np.ndarray,
    pd_: np.ndarray,
    lgd: np.ndarray,
    maturity: np.ndarray,
    sales_eur: np.ndarray,
    large_fi: np.ndarray,
    params: Mapping[str, Any],
) -> dict[str, np.ndarray]:
    """Capital requirement K per unit of EAD (CRE31.4-31.16) for performing exposures.

    Inputs are arrays of equal length; PD and LGD already floored, ``sales_eur`` NaN when unknown.
    Returns ``correlation``, ``maturity_adjustment_b`` (NaN for retail) and ``k``.
    """
    from scipy.special import ndtr, ndtri  # loaded on first use: keeps `import banksim` light

    irb = params["irb"]
    wholesale = (irb_class == "corporate") | (irb_class == "sovereign") | (irb_class == "bank")
    weight = (1 - np.exp(-50 * pd_)) / (1 - np.exp(-50))
    r_wholesale = 0.12 * weight + 0.24 * (1 - weight)  # CRE31.5
    r_wholesale = np.where(large_fi, r_wholesale * irb["fi_correlation_multiplier"], r_wholesale)  # CRE31.7
    sme = (irb_class == "corporate") & (sales_eur < irb["sme_sales_upper"])  # NaN sales: not SME
    sales_m = np.clip(np.nan_to_num(sales_eur), irb["sme_sales_lower"], irb["sme_sales_upper"]) / 1e6
    r_wholesale = np.where(sme, r_wholesale - 0.04 * (1 - (sales_m - 5) / 45), r_wholesale)  # CRE31.8
    weight35 = (1 - np.exp(-35 * pd_)) / (1 - np.exp(-35))
    r_other_retail = 0.03 * weight35 + 0.16 * (1 - weight35)  # CRE31.16
    correlation = np.select(
        [
            wholesale,
            irb_class == "residential_mortgage",
            (irb_class == "qrre_revolver") | (irb_class == "qrre_transactor"),
        ],
        [r_wholesale, irb["residential_mortgage_correlation"], irb["qrre_correlation"]],
        default=r_other_retail,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(wholesale, (0.11852 - 0.05478 * np.log(pd_)) ** 2, np.nan)  # CRE31.6
        conditional = ndtr(
            (ndtri(pd_) + np.sqrt(correlation) * ndtri(irb["confidence"])) / np.sqrt(1 - correlation)
        )
        k = lgd * conditional - pd_ * lgd
        adjustment = np.where(wholesale, (1 + (maturity - 2.5) * b) / (1 - 1.5 * b), 1.0)
    return {"correlation": correlation, "maturity_adjustment_b": b, "k": k * adjustment}


def irb_class(frame: pd.DataFrame) -> np.ndarray:
    """The IRB asset class of each line: ``irb_class`` if given, else derived where unambiguous."""
    return np.asarray(IRB_CLASSES)[irb_class_codes(frame)]


def irb_class_codes(frame: pd.DataFrame) -> np.ndarray:
    """:func:`irb_class` as positions in ``IRB_CLASSES`` (no string per row)."""
    none = IRB_CLASSES.index("none")
    given = frame["irb_class"].cat.codes.to_numpy()
    derived = lookup(
        frame,
        "exposure_class",
        {k: IRB_CLASSES.index(v) for k, v in IRB_CLASS_OF_EXPOSURE_CLASS.items()},
        none,
    )
    mortgage = is_in(frame, "exposure_class", "residential_real_estate") & is_in(
        frame, "counterparty_type", "individual"
    )
    derived[mortgage] = IRB_CLASSES.index("residential_mortgage")
    codes = np.where(given == none, derived, given)
    fail(
        frame,
        codes == none,
        "irb_class",
        "cannot be derived from the exposure class for IRB lines (equity is SA only, CRE30.43; "
        "defaulted, PSE, MDB and other real-estate lines need it explicitly)",
        allowed=list(IRB_ASSET_CLASSES),
    )
    return codes


def _by_class(codes: np.ndarray, table: Mapping[str, float]) -> np.ndarray:
    """Look up a per-class parameter for IRB class codes (positions in ``IRB_CLASSES``)."""
    return np.array([table.get(name, 0.0) for name in IRB_CLASSES])[codes]


# The paragraph of each IRB class's PD floor and A-IRB LGD floor (CRE32.4, CRE32.16, CRE32.58-59).
PD_FLOOR_RULES = {
    **dict.fromkeys(IRB_CLASSES, "CRE32.58"),
    "corporate": "CRE32.4",
    "sovereign": "CRE32.4",
    "bank": "CRE32.4",
}
LGD_FLOOR_RULES = {
    **dict.fromkeys(IRB_CLASSES, "CRE32.58-59"),
    "corporate": "CRE32.16",
    "sovereign": "CRE32.16",
    "bank": "CRE32.16",
}


def _percent(value: float) -> str:
    return f"{round(value * 100, 6):g}%"


def _floor_note(
    codes: np.ndarray, applies: np.ndarray, rules: Mapping[str, str], label: str, floors: Mapping[str, float]
) -> Note:
    """The class's floor paragraph and value, e.g. ``CRE32.4 (PD floor 0.05%)``, on ``applies``."""
    texts = tuple(f"{rules[name]} ({label} {_percent(floors.get(name, 0.0))})" for name in IRB_CLASSES)
    return np.where(applies, codes + 1, 0), texts


def irb_citations(
    frame: pd.DataFrame,
    used: Mapping[str, np.ndarray],
    params: Mapping[str, Any],
) -> list[Note]:
    """The paragraphs that changed an IRB line's number, in formula order (methodology C.45).

    The ×1.25 FI correlation (CRE31.7), the SME firm-size adjustment (CRE31.8), the PD floor
    (CRE32.4, CRE32.58), the F-IRB LGD (CRE32.6-7), the A-IRB LGD floor (CRE32.16, CRE32.58-59),
    the F-IRB maturity (CRE32.44) and the A-IRB maturity floor, cap or default (CRE32.46, CRE32.55).
    ``used`` holds the arrays of :func:`irb_risk_weights` (class codes, masks, inputs).
    """
    irb = params["irb"]
    codes, performing, foundation = used["codes"], used["performing"], used["foundation"]
    wholesale = ~used["retail"]
    corporate = codes == IRB_CLASSES.index("corporate")
    sales, maturity = frame["annual_sales"].to_numpy(), frame["residual_maturity"].to_numpy()
    # F-IRB LGD: 1 financial, 2 other corporate, 3 subordinated; A-IRB M: 1 floor, 2 cap, 3 missing.
    firb_lgd = np.select([used["subordinated"], used["financial"]], [3, 1], default=2)
    m_code = np.select(
        [np.isnan(maturity), maturity < irb["maturity_floor"], maturity > irb["maturity_cap"]],
        [3, 1, 2],
        default=0,
    )
    return [
        flag(
            performing & wholesale & used["large_fi"],
            f"CRE31.7 (FI correlation x{irb['fi_correlation_multiplier']:g})",
        ),
        flag(performing & corporate & (sales < irb["sme_sales_upper"]), "CRE31.8 (SME firm-size adjustment)"),
        _floor_note(
            codes,
            performing & (used["pd_input"] < used["pd_floor"]),
            PD_FLOOR_RULES,
            "PD floor",
            irb["pd_floor"],
        ),
        (
            np.where(foundation, firb_lgd, 0),
            (
                f"CRE32.6 (F-IRB LGD {_percent(irb['firb_lgd_financial'])})",
                f"CRE32.6 (F-IRB LGD {_percent(irb['firb_lgd_corporate'])})",
                f"CRE32.7 (F-IRB LGD {_percent(irb['firb_lgd_subordinated'])})",
            ),
        ),
        _floor_note(
            codes,
            ~foundation & (used["lgd_input"] < used["lgd_floor"]),
            LGD_FLOOR_RULES,
            "LGD floor",
            irb["lgd_floor"],
        ),
        flag(performing & foundation & wholesale, f"CRE32.44 (F-IRB M {irb['firb_maturity']:g}y)"),
        (
            np.where(performing & ~foundation & wholesale, m_code, 0),
            (
                f"CRE32.46 (M floor {irb['maturity_floor']:g}y)",
                f"CRE32.46 (M cap {irb['maturity_cap']:g}y)",
                f"CRE32.55 (M {irb['maturity_default']:g}y)",
            ),
        ),
    ]


FORMULA_RULES = {
    "corporate": "CRE31.5",
    "sovereign": "CRE31.5",
    "bank": "CRE31.5",
    "residential_mortgage": "CRE31.14",
    "qrre_revolver": "CRE31.15",
    "qrre_transactor": "CRE31.15",
    "other_retail": "CRE31.16",
}


def _formula_rules(codes: np.ndarray, defaulted: np.ndarray) -> Any:
    """The paragraph of each line's formula: its class's (CRE31.5-31.16), or CRE31.3 if defaulted."""
    rules = Rules(len(codes))
    for name, rule in FORMULA_RULES.items():
        rules.set(codes == IRB_CLASSES.index(name), rule)
    rules.set(defaulted, "CRE31.3")
    return rules.categorical()


def irb_risk_weights(
    frame: pd.DataFrame, ead: np.ndarray, params: Mapping[str, Any], notes: Sequence[Note] = ()
) -> pd.DataFrame:
    """IRB parameters used, K, risk weight and rule of every IRB line of ``frame``.

    Applies the PD floors, A-IRB LGD floors and maturity bounds of methodology C.12; obligors for
    which A-IRB is not allowed (banks, FIs, corporates with sales > EUR 500m) and F-IRB lines take
    the F-IRB LGD (45% financial / 40% corporate / 75% subordinated) and M = 2.5 (methodology C.2).
    Defaulted lines (flag or PD = 1) get ``K = max(0, LGD - ELBE)`` (CRE31.3).
    The rule is the paragraph of the formula, then those of :func:`irb_citations`, then ``notes``
    (the CCF of the EAD).
    """
    irb = params["irb"]
    n = len(frame)
    codes = irb_class_codes(frame)
    is_class = {name: codes == IRB_CLASSES.index(name) for name in ("corporate", "sovereign", "bank")}
    retail = ~(is_class["corporate"] | is_class["sovereign"] | is_class["bank"])
    approach = labels(frame, "approach")
    fail(frame, retail & (approach == "firb"), "approach", "is 'firb' on a retail line (no F-IRB for retail)",
         allowed=["airb", "sa"])  # fmt: skip
    pd_input = frame["pd"].to_numpy()
    fail(frame, np.isnan(pd_input), "pd", "is missing on IRB lines", allowed="0 <= pd <= 1")
    large_fi = frame["large_financial_institution"].to_numpy()
    sales = frame["annual_sales"].to_numpy()
    subordinated = is_in(frame, "exposure_class", "subordinated_debt")
    foundation = (approach == "firb") | (
        ~retail
        & (is_class["bank"] | large_fi | (is_class["corporate"] & (sales > irb["large_corporate_sales"])))
    )
    financial = is_class["bank"] | is_class["sovereign"] | large_fi
    firb_lgd = np.select(
        [subordinated, financial],
        [irb["firb_lgd_subordinated"], irb["firb_lgd_financial"]],
        default=irb["firb_lgd_corporate"],
    )
    lgd_input = frame["lgd"].to_numpy()
    fail(
        frame, ~foundation & np.isnan(lgd_input), "lgd", "is missing on A-IRB lines", allowed="0 <= lgd <= 1"
    )
    lgd_floor = _by_class(codes, irb["lgd_floor"])
    lgd = np.where(foundation, firb_lgd, np.maximum(lgd_input, lgd_floor))
    pd_floor = _by_class(codes, irb["pd_floor"])
    defaulted = frame["is_defaulted"].to_numpy() | (pd_input >= 1)
    pd_used = np.where(defaulted, 1.0, np.maximum(pd_input, pd_floor))
    maturity_input = frame["residual_maturity"].to_numpy()
    maturity = np.where(
        foundation,
        irb["firb_maturity"],
        np.clip(
            np.nan_to_num(maturity_input, nan=irb["maturity_default"]),
            irb["maturity_floor"],
            irb["maturity_cap"],
        ),
    )
    maturity = np.where(retail, np.nan, maturity)
    elbe = frame["elbe"].to_numpy()
    fail(frame, defaulted & np.isnan(elbe), "elbe", "is missing on defaulted IRB lines (CRE31.3)",
         allowed="0 <= elbe <= 1")  # fmt: skip

    performing = ~defaulted
    formula = irb_capital_requirement(
        np.asarray(IRB_CLASSES)[codes[performing]],
        pd_used[performing],
        lgd[performing],
        np.nan_to_num(maturity[performing], nan=2.5),
        sales[performing],
        large_fi[performing],
        params,
    )
    k = np.maximum(lgd - np.nan_to_num(elbe), 0.0)  # CRE31.3 for defaulted lines
    correlation = np.full(n, np.nan)
    b = np.full(n, np.nan)
    k[performing] = formula["k"]
    correlation[performing] = formula["correlation"]
    b[performing] = formula["maturity_adjustment_b"]

    used = dict(codes=codes, performing=performing, foundation=foundation, retail=retail, large_fi=large_fi,
                subordinated=subordinated, financial=financial, pd_input=pd_input, pd_floor=pd_floor,
                lgd_input=lgd_input, lgd_floor=lgd_floor)  # fmt: skip
    cited = cite(_formula_rules(codes, defaulted), [*irb_citations(frame, used, params), *notes])
    risk_weight = 12.5 * k
    return pd.DataFrame(
        {
            "irb_class": categorical(codes, IRB_CLASSES),
            "irb_foundation": foundation,
            "pd_used": pd_used,
            "lgd_used": lgd,
            "maturity_used": maturity,
            "correlation": correlation,
            "maturity_adjustment_b": b,
            "k": k,
            "risk_weight": risk_weight,
            "rwa": risk_weight * ead,
            "rule": cited,
        },
        index=frame.index,
    )
