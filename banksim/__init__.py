"""banksim: bank capital and liquidity analytics (Basel III) for Jupyter.

``import banksim as bs`` gives the public API below; heavy optional pieces (DuckDB, widgets,
plots) load only in the modules that need them.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

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
from banksim.positions import POSITIONS_SCHEMA, own_funds, read_positions, schema_table, validate_positions
from banksim.query import headline_by_scenario, liquidity_by_scenario, query, rwa_by_class_across_scenarios
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
from banksim.scenarios import SCENARIOS, Scenario, Shocks, scenario_grid
from banksim.services import (
    apply_scenario,
    compute_capital,
    compute_liquidity,
    compute_rwa,
    create_excel_export,
    run_simulation,
)
from banksim.settings import Settings, get_settings, mask_url, override_settings, project_root
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

logging.getLogger("banksim").addHandler(logging.NullHandler())

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
    "risk_weighted_assets",
    "rwa_summary",
    "output_floor",
    "compute_liquidity",
    "liquidity",
    "BufferSettings",
    "compute_capital",
    "capital_adequacy",
    "capital_statement",
    # scenarios, the pipeline, sweeps
    "Scenario",
    "Shocks",
    "SCENARIOS",
    "scenario_grid",
    "apply_scenario",
    "run_pipeline",
    "PipelineResult",
    "sweep",
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
