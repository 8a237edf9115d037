"""The synthetic bank's credit protection: collateral, guarantees and credit derivatives on its loans.

``generate_protection`` draws a protection table (``PROTECTION_SCHEMA``) from a positions table,
deterministically per seed and row (methodology 9.10 lists the shares and amounts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.protection import ISSUER_TYPES, PROTECTION_TYPES
from banksim.positions.validation import validate_positions
from banksim.positions.vocabulary import CURRENCIES, RATINGS, SCRA_GRADES
from banksim.regulation._frame import categorical, is_in
from banksim.synthetic.table import Columns

__all__ = ["PROTECTION_MIX", "describe_crm_inputs", "generate_protection"]

# Which lines carry which protection, and how much (shares of the eligible lines; amounts as
# shares of the line's drawn amount). Plausible for a European bank, not calibrated to one.
PROTECTION_MIX: dict[str, Any] = {
    "collateralised_loans": 0.35,  # corporate and interbank loans with financial collateral
    "cash_share": 0.5,  # of those, cash; the rest sovereign, bank or corporate bonds
    "collateral_amount": (0.2, 0.7),
    "foreign_collateral": 0.15,  # collateral in USD instead of the loan's currency
    "equity_top_up": 0.1,  # a second item: main-index equities
    "receivables": 0.10,  # corporate loans with receivables (recognised by F-IRB only)
    "reverse_repo_margin": (1.0, 1.05),  # securities received per unit of cash lent
    "guaranteed_sme_loans": 0.25,  # state or bank guarantee schemes
    "guarantee_amount": (0.5, 0.8),
    "credit_derivative_loans": 0.02,  # corporate loans hedged by a single-name CDS
}
LOANS = ("corporate_loan", "interbank_loan")
Draw = Callable[[int], np.ndarray]


def generate_protection(positions: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A protection table for the loans of ``positions`` (one row per item, sorted by position).

    Corporate and interbank loans carry cash or bond collateral (some in another currency, some with
    main-index equities too), some corporate loans receivables or a credit derivative, reverse
    repos the sovereign bonds received, SME loans state or bank guarantees. The draws of row ``i``
    depend on ``seed`` and ``i`` only, so rows added by a scenario leave the others' items alone.
    """
    frame = validate_positions(positions)
    drawn = frame["drawn_amount"].to_numpy()
    live = is_in(frame, "side", "asset") & (drawn > 0) & ~frame["is_defaulted"].to_numpy()
    n = len(frame)
    draw = _draws(seed, n)
    mix = PROTECTION_MIX
    parts = []
    loans = np.flatnonzero(
        live & is_in(frame, "product", *LOANS) & (draw("collateral") < mix["collateralised_loans"])
    )
    parts.append(_financial_collateral(frame, loans, draw))
    corporate = live & is_in(frame, "product", "corporate_loan")
    owners = np.flatnonzero(corporate & (draw("receivables") < mix["receivables"]))
    parts.append(
        _items(
            owners,
            "receivables",
            drawn[owners] * _between(draw("receivables_amount"), (0.3, 0.8))[owners],
            frame,
        )
    )
    repos = np.flatnonzero(live & is_in(frame, "product", "reverse_repo"))
    margin = _between(draw("repo_margin"), mix["reverse_repo_margin"])[repos]
    parts.append(
        _items(
            repos,
            "debt_security",
            drawn[repos] * margin,
            frame,
            issuer="sovereign",
            rating="AA",
            maturity=_between(draw("repo_bond_maturity"), (0.5, 10.0))[repos],
        )
    )
    parts.append(_guarantees(frame, np.flatnonzero(live & is_in(frame, "product", "sme_loan")), draw))
    owners = np.flatnonzero(corporate & (draw("cds") < mix["credit_derivative_loans"]))
    parts.append(
        _items(
            owners,
            "credit_derivative",
            drawn[owners] * _between(draw("cds_amount"), (0.5, 1.0))[owners],
            frame,
            issuer="bank",
            rating="A+",
            restructuring=draw("restructuring")[owners] < 0.5,
        )
    )
    return _table(parts, frame)


def describe_crm_inputs(cols: Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """The CRM line inputs of the positions: reverse repos repo-style (half meeting CRE22.36, a
    third with core market participants), a few corporate loans capital-market (margin) lending."""
    repos = blocks.get("reverse_repo", np.zeros(0, dtype=np.int64))
    draw = rng.random((len(repos), 2))
    cols.set(repos, transaction_type="repo_style", repo_cre22_36_conditions_met=draw[:, 0] < 0.5,
             core_market_participant=draw[:, 1] < 0.3)  # fmt: skip
    loans = blocks.get("corporate_loan", np.zeros(0, dtype=np.int64))
    kind = rng.random(len(loans))
    cols.set(loans[kind < 0.5], transaction_type="secured_lending")
    cols.set(loans[kind > 0.95], transaction_type="capital_market")


def _draws(seed: int, n: int) -> Callable[[str], np.ndarray]:
    """Uniform draws per row for a named purpose: stream ``name`` of ``seed``, row i the i-th value."""
    names = ("collateral", "cash", "collateral_amount", "foreign", "issuer", "bond_maturity", "equity",
             "receivables", "receivables_amount", "repo_margin", "repo_bond_maturity", "guarantee",
             "guarantor", "guarantee_amount", "cds", "cds_amount", "restructuring")  # fmt: skip

    def draw(name: str) -> np.ndarray:
        return np.random.default_rng([seed, 19, names.index(name)]).random(n)

    return draw


def _between(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return bounds[0] + u * (bounds[1] - bounds[0])


def _financial_collateral(
    frame: pd.DataFrame, owners: np.ndarray, draw: Callable[[str], np.ndarray]
) -> dict[str, Any]:
    """Cash or bonds on the ``owners`` loans, plus a main-index equity top-up on some."""
    mix = PROTECTION_MIX
    drawn = frame["drawn_amount"].to_numpy()[owners]
    amount = drawn * _between(draw("collateral_amount"), mix["collateral_amount"])[owners]
    cash = draw("cash")[owners] < mix["cash_share"]
    u = draw("issuer")[owners]
    issuer = np.where(u < 0.6, "sovereign", np.where(u < 0.8, "bank", "corporate"))
    rating = np.where(u < 0.6, "AA", np.where(u < 0.8, "A+", "BBB"))
    maturity = _between(draw("bond_maturity"), (0.5, 12.0))[owners]
    foreign = draw("foreign")[owners] < mix["foreign_collateral"]
    main = _items(owners, np.where(cash, "cash", "debt_security"), amount, frame,
                  issuer=np.where(cash, "none", issuer), rating=np.where(cash, "unrated", rating),
                  maturity=np.where(cash, np.nan, maturity), foreign=foreign)  # fmt: skip
    top = draw("equity")[owners] < mix["equity_top_up"]
    extra = _items(owners[top], "equity_main_index", amount[top] * 0.25, frame)
    return {key: np.concatenate([main[key], extra[key]]) for key in main}


def _guarantees(frame: pd.DataFrame, owners: np.ndarray, draw: Callable[[str], np.ndarray]) -> dict[str, Any]:
    """State (sovereign, AA) or bank (A+) guarantees on a share of the SME loans."""
    mix = PROTECTION_MIX
    owners = owners[draw("guarantee")[owners] < mix["guaranteed_sme_loans"]]
    state = draw("guarantor")[owners] < 0.6
    amount = (
        frame["drawn_amount"].to_numpy()[owners]
        * _between(draw("guarantee_amount"), mix["guarantee_amount"])[owners]
    )
    return _items(owners, "guarantee", amount, frame, issuer=np.where(state, "sovereign", "bank"),
                  rating=np.where(state, "AA", "A+"))  # fmt: skip


def _items(
    owners: np.ndarray,
    kind: Any,
    amount: np.ndarray,
    frame: pd.DataFrame,
    issuer: Any = "none",
    rating: Any = "unrated",
    maturity: Any = np.nan,
    foreign: Any = False,
    restructuring: Any = False,
) -> dict[str, Any]:
    """Columns of the items on ``owners`` (codes for the categoricals; the loan's currency unless foreign)."""
    m = len(owners)

    def codes(values: Any, allowed: tuple[str, ...]) -> np.ndarray:
        array = np.broadcast_to(np.asarray(values), (m,))
        return pd.Index(allowed).get_indexer(pd.Index(np.unique(array)))[
            np.unique(array, return_inverse=True)[1]
        ]

    currency = frame["currency"].cat.codes.to_numpy()[owners]
    currency = np.where(np.broadcast_to(foreign, (m,)), CURRENCIES.index("USD"), currency)
    return {
        "owner": owners,
        "protection_type": codes(kind, PROTECTION_TYPES),
        "amount": np.round(amount, 2),
        "currency": currency,
        "issuer_type": codes(issuer, ISSUER_TYPES),
        "rating": codes(rating, RATINGS),
        "security_residual_maturity": np.broadcast_to(np.asarray(maturity, dtype=float), (m,)),
        "restructuring_covered": np.broadcast_to(np.asarray(restructuring, dtype=bool), (m,)),
    }


def _table(parts: list[dict[str, Any]], frame: pd.DataFrame) -> pd.DataFrame:
    """The items of every part as one protection table, sorted by position (stable)."""
    data = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    order = np.argsort(data["owner"], kind="stable")
    data = {key: values[order] for key, values in data.items()}
    m = len(order)
    return pd.DataFrame(
        {
            "position_id": frame["position_id"].take(data["owner"]).reset_index(drop=True).array,
            "protection_type": categorical(data["protection_type"], PROTECTION_TYPES),
            "amount": data["amount"],
            "currency": categorical(data["currency"], CURRENCIES),
            "issuer_type": categorical(data["issuer_type"], ISSUER_TYPES),
            "rating": categorical(data["rating"], RATINGS),
            "scra_grade": categorical(np.full(m, SCRA_GRADES.index("none")), SCRA_GRADES),
            "security_residual_maturity": data["security_residual_maturity"],
            "restructuring_covered": data["restructuring_covered"],
        }
    )
