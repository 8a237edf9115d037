"""banksim: bank capital and liquidity analytics (Basel III) for Jupyter.

``import banksim as bs`` gives the public API below. Each name loads its module on first use
(PEP 562), so a process pays only for the parts it touches: ``bs.run_simulation`` loads the
cache and the synthetic bank, not DuckDB, widgets or plots.
"""

from __future__ import annotations

import importlib
import logging
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Every public name and the module that defines it: the one table to update when code moves.
_EXPORTS: dict[str, str] = {
    # settings
    "Settings": "banksim.settings",
    "get_settings": "banksim.settings",
    "mask_url": "banksim.settings",
    "override_settings": "banksim.settings",
    "project_root": "banksim.settings",
    # store and persistence API
    "Store": "banksim.store",
    "get_store": "banksim.store",
    "open_store": "banksim.store",
    "use_store": "banksim.store",
    "save_dataframe": "banksim.store",
    "load_dataframe": "banksim.store",
    "save_dict": "banksim.store",
    "load_dict": "banksim.store",
    "save_artifact": "banksim.store",
    "load_artifact": "banksim.store",
    # hashing and caching
    "compute_params_hash": "banksim.hashing",
    "frame_fingerprint": "banksim.hashing",
    "cached": "banksim.cache",
    "CachedFunction": "banksim.cache",
    "CallInfo": "banksim.cache",
    "lineage": "banksim.lineage",
    "used_by": "banksim.lineage",
    # the synthetic bank
    "POSITIONS_SCHEMA": "banksim.positions",
    "generate_positions": "banksim.synthetic",
    "own_funds": "banksim.positions",
    "read_positions": "banksim.positions",
    "run_simulation": "banksim.services",
    "schema_table": "banksim.positions",
    "validate_positions": "banksim.positions",
    # regulation
    "DEFAULT_PARAMETERS": "banksim.regulation",
    "regulatory_parameters": "banksim.regulation",
    "compute_rwa": "banksim.services",
    "generate_protection": "banksim.services",
    "shock_protection": "banksim.scenarios",
    "risk_weighted_assets": "banksim.regulation",
    "rwa_summary": "banksim.regulation",
    "output_floor": "banksim.regulation",
    "compute_liquidity": "banksim.services",
    "compute_ecl": "banksim.services",
    "compute_irrbb": "banksim.services",
    "liquidity": "banksim.regulation",
    "BufferSettings": "banksim.regulation",
    "compute_capital": "banksim.services",
    "capital_adequacy": "banksim.regulation",
    "capital_statement": "banksim.regulation",
    "compute_cva": "banksim.services",
    "compute_market_risk": "banksim.services",
    "run_trading_book": "banksim.services",
    "apply_market_moves": "banksim.services",
    # scenarios, the pipeline, sweeps
    "Scenario": "banksim.scenarios",
    "Shocks": "banksim.scenarios",
    "SCENARIOS": "banksim.scenarios",
    "scenario_grid": "banksim.scenarios",
    "apply_scenario": "banksim.services",
    "run_pipeline": "banksim.pipeline",
    "PipelineResult": "banksim.pipeline",
    "sweep": "banksim.pipeline",
    "STEPS": "banksim.steps",
    "Step": "banksim.steps",
    # reports and exports
    "styled": "banksim.display",
    "create_excel_export": "banksim.services",
    "export": "banksim.reporting",
    # SQL across results (DuckDB, loaded on first query)
    "query": "banksim.query",
    "headline_by_scenario": "banksim.query",
    "rwa_by_class_across_scenarios": "banksim.query",
    "liquidity_by_scenario": "banksim.query",
    # errors
    "BanksimError": "banksim.errors",
    "InputError": "banksim.errors",
    "SchemaVersionError": "banksim.errors",
    "StoreError": "banksim.errors",
    "UnhashableArgumentError": "banksim.errors",
}

# What `from banksim import *` gives and linters read (tests/test_import.py: the table's names).
__all__ = [
    # settings
    "Settings",
    "get_settings",
    "mask_url",
    "override_settings",
    "project_root",
    # store and persistence API
    "Store",
    "get_store",
    "open_store",
    "use_store",
    "save_dataframe",
    "load_dataframe",
    "save_dict",
    "load_dict",
    "save_artifact",
    "load_artifact",
    # hashing and caching
    "compute_params_hash",
    "frame_fingerprint",
    "cached",
    "CachedFunction",
    "CallInfo",
    "lineage",
    "used_by",
    # the synthetic bank
    "POSITIONS_SCHEMA",
    "generate_positions",
    "own_funds",
    "read_positions",
    "run_simulation",
    "schema_table",
    "validate_positions",
    # regulation
    "DEFAULT_PARAMETERS",
    "regulatory_parameters",
    "compute_rwa",
    "generate_protection",
    "shock_protection",
    "risk_weighted_assets",
    "rwa_summary",
    "output_floor",
    "compute_liquidity",
    "compute_ecl",
    "compute_irrbb",
    "liquidity",
    "BufferSettings",
    "compute_capital",
    "capital_adequacy",
    "capital_statement",
    "compute_cva",
    "compute_market_risk",
    "run_trading_book",
    "apply_market_moves",
    # scenarios, the pipeline, sweeps
    "Scenario",
    "Shocks",
    "SCENARIOS",
    "scenario_grid",
    "apply_scenario",
    "run_pipeline",
    "PipelineResult",
    "sweep",
    "STEPS",
    "Step",
    # reports and exports
    "styled",
    "create_excel_export",
    "export",
    # SQL across results (DuckDB, loaded on first query)
    "query",
    "headline_by_scenario",
    "rwa_by_class_across_scenarios",
    "liquidity_by_scenario",
    # errors
    "BanksimError",
    "InputError",
    "SchemaVersionError",
    "StoreError",
    "UnhashableArgumentError",
    "__version__",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; tests/test_import.py keeps it equal to _EXPORTS
    from banksim.cache import CachedFunction, CallInfo, cached
    from banksim.display import styled
    from banksim.errors import (
        BanksimError,
        InputError,
        SchemaVersionError,
        StoreError,
        UnhashableArgumentError,
    )
    from banksim.hashing import compute_params_hash, frame_fingerprint
    from banksim.lineage import lineage, used_by
    from banksim.pipeline import PipelineResult, run_pipeline, sweep
    from banksim.positions import (
        POSITIONS_SCHEMA,
        own_funds,
        read_positions,
        schema_table,
        validate_positions,
    )
    from banksim.query import (
        headline_by_scenario,
        liquidity_by_scenario,
        query,
        rwa_by_class_across_scenarios,
    )
    from banksim.regulation import (
        DEFAULT_PARAMETERS,
        BufferSettings,
        capital_adequacy,
        capital_statement,
        liquidity,
        output_floor,
        regulatory_parameters,
        risk_weighted_assets,
        rwa_summary,
    )
    from banksim.reporting import export
    from banksim.scenarios import SCENARIOS, Scenario, Shocks, scenario_grid, shock_protection
    from banksim.services import (
        apply_market_moves,
        apply_scenario,
        compute_capital,
        compute_cva,
        compute_ecl,
        compute_irrbb,
        compute_liquidity,
        compute_market_risk,
        compute_rwa,
        create_excel_export,
        generate_protection,
        run_simulation,
        run_trading_book,
    )
    from banksim.settings import Settings, get_settings, mask_url, override_settings, project_root
    from banksim.steps import STEPS, Step
    from banksim.store import (
        Store,
        get_store,
        load_artifact,
        load_dataframe,
        load_dict,
        open_store,
        save_artifact,
        save_dataframe,
        save_dict,
        use_store,
    )
    from banksim.synthetic import generate_positions


def __getattr__(name: str) -> Any:
    """Load a public name's module on first access and keep the name (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """``banksim`` itself: a submodule named like a public function (``banksim.query``,
    ``banksim.lineage``) does not replace that function when the submodule is first imported."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return  # the public name resolves through __getattr__; the module is in sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
logging.getLogger("banksim").addHandler(logging.NullHandler())
