"""The ``banksim`` command: run the demo, serve the explorer, migrate the database, manage the cache.

Every sub-command acts on the store of the current settings (``DB_URL``, ``ARTIFACT_STORE``,
``ARTIFACT_PATH`` from the environment or ``.env``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from banksim.errors import BanksimError, InputError
from banksim.settings import LOG_LEVELS, project_root

if TYPE_CHECKING:
    import pandas as pd

    from banksim.store import Store

__all__ = ["main"]


def _store(migrate: bool = True) -> Store:
    from banksim.settings import get_settings
    from banksim.store import Store

    settings = get_settings()
    return Store(settings.db_url, settings.artifact_store, settings.artifact_path, migrate=migrate)


def _db(args: argparse.Namespace) -> int:
    store = _store(migrate=False)
    if args.action == "upgrade":
        revision = store.upgrade()
        print(f"{store!r} is at schema revision {revision}")
    else:
        print(f"{store!r} is at schema revision {store.current_revision()}")
    return 0


def _ls(args: argparse.Namespace) -> int:
    listing = _store().list_entries(args.kind)
    if args.json:
        for record in json_records(listing):
            print(json.dumps(record))
    elif listing.empty:
        print("the cache is empty")
    else:
        print("\n".join(wide_lines(listing) if args.wide else entry_lines(listing, _width())))
        print(f"{_count(len(listing), 'part')} of {_count(listing['params_hash'].nunique(), 'call')}, "
              f"{human_size(int(listing['bytes'].sum()))}")  # fmt: skip
    return 0


def _stats(args: argparse.Namespace) -> int:
    print("\n".join(stats_lines(_store().stats())))
    return 0


def _verify(args: argparse.Namespace) -> int:
    damaged = _store().verify(args.kind, dry_run=args.dry_run)
    verb = "found" if args.dry_run else "removed"
    print(f"{verb} {len(damaged)} damaged payloads")
    if len(damaged):
        rows = [
            [str(v) for v in row] for row in damaged[["kind", "params_hash", "location", "problem"]].values
        ]
        print(
            "\n".join(
                _aligned(
                    ["KIND", "KEY", "WHERE", "PROBLEM"], [[r[0], r[1][:KEY_WIDTH], *r[2:]] for r in rows]
                )
            )
        )
    return 0


def _purge(args: argparse.Namespace) -> int:
    import pandas as pd

    _check_purge(args)  # before the store opens: a refused purge touches nothing
    store = _store()
    if args.orphans:
        orphans = store.remove_orphans(dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        print(f"{verb} {len(orphans)} orphan or stale temp files")
        for path in orphans:
            print(f"  {path}")
        return 0
    parts = []  # by kind and age, then least recently used until the cache fits
    if args.max_size is None or args.older_than is not None:
        parts.append(store.purge(args.kind, args.older_than, dry_run=args.dry_run))
    if args.max_size is not None:
        parts.append(store.shrink(args.max_size, args.kind, dry_run=args.dry_run))
    removed = pd.concat(parts, ignore_index=True)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {len(removed)} entries, {human_size(int(removed['bytes'].sum()))}")
    if len(removed):
        print("\n".join(entry_lines(removed, _width())))
    return 0


# -- presentation: what a person reads in a terminal ------------------------------------------------
KEY_WIDTH = 12  # characters of a key shown by default; --wide and --json show all 64
DEFAULT_WIDTH = 100  # when the terminal's width is unknown (output piped, no COLUMNS)
MIN_ARGUMENTS_WIDTH = 16
ELLIPSIS = "…"


def _width() -> int:
    return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, 60)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def human_size(size: int) -> str:
    """Bytes in decimal units: ``512 B``, ``4.0 kB``, ``35.5 MB``, ``1.2 GB``."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 999.95 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def human_age(seconds: float) -> str:
    """An age rounded down to its largest unit: ``12 s``, ``3 min``, ``2 h``, ``4 d``."""
    seconds = max(seconds, 0.0)
    for unit, length in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= length:
            return f"{int(seconds // length)} {unit}"
    return f"{int(seconds)} s"


def human_duration(seconds: float) -> str:
    """A duration: ``0.42 s``, ``12.3 s``, ``4.5 min``, ``2.1 h``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3_600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3_600:.1f} h"


def summarize_arguments(params: str | None) -> str:
    """The stored arguments of a call on one line, e.g. ``num_positions=10,000 seed=1
    scenario=severe_recession positions=<table 10,000x62>``: arguments left at None are left
    out; numbers come first, containers last (see :func:`_rank`)."""
    if not params:
        return ""
    arguments = [(name, value) for name, value in json.loads(params).items() if value is not None]
    arguments.sort(key=lambda item: _rank(item[1]))  # stable: stored order within a rank
    return " ".join(f"{name}={_short(value)}" for name, value in arguments)


def _rank(value: Any) -> int:
    """Numbers, then words (a named configuration such as a scenario counts as its name), then
    flags, tables, and other containers last: the most telling arguments survive a cut."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0
    if isinstance(value, str) or (isinstance(value, dict) and isinstance(value.get("name"), str)):
        return 1
    if isinstance(value, bool):
        return 2
    return 3 if _shape(value) else 4


def _shape(value: Any) -> str | None:
    """``<table 10,000x62>`` for a described DataFrame (likewise a Series or an array), else None."""
    if not (isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), dict)):
        return None
    (what, about), *_ = value.items()
    if what == "dataframe" and {"rows", "columns"} <= set(about):
        return f"<table {about['rows']:,}x{len(about['columns'])}>"
    if what == "series" and "rows" in about:
        return f"<series {about['rows']:,}>"
    if what == "array" and {"shape", "dtype"} <= set(about):
        return f"<array {'x'.join(str(n) for n in about['shape'])} {about['dtype']}>"
    return None


def _short(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    if isinstance(value, str):
        return _cut(value, 24)
    shape = _shape(value)
    if shape:
        return shape
    if isinstance(value, dict):
        if isinstance(value.get("name"), str):  # a scenario, or any named configuration
            return _cut(value["name"], 24)
        fields = " ".join(f"{k}={_short(v)}" for k, v in value.items() if v is not None)
        return "{" + fields + "}"
    if isinstance(value, list):
        return f"<list of {len(value)}>" if len(value) > 4 else "[" + ",".join(_short(v) for v in value) + "]"
    return _cut(str(value), 24)


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """Header and rows in columns two spaces apart, the columns numbered in ``right`` right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for line in [header, *rows]:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def entry_lines(listing: pd.DataFrame, width: int = DEFAULT_WIDTH) -> list[str]:
    """A :func:`banksim.store.maintenance.list_entries` listing as lines of at most ``width``
    characters: kind, short key, the arguments on one line (cut with an ellipsis), size, age."""
    import pandas as pd

    now = pd.Timestamp.now(tz="UTC")
    kinds = [_cut(str(kind), 24) for kind in listing["kind"]]
    sizes = [human_size(int(size)) for size in listing["bytes"]]
    ages = [human_age((now - created).total_seconds()) for created in listing["created_at"]]
    fixed = max(map(len, ["KIND", *kinds])) + KEY_WIDTH + max(map(len, ["SIZE", *sizes]))
    fixed += max(map(len, [" AGE", *ages])) + 4 * 2
    room = max(width - fixed, MIN_ARGUMENTS_WIDTH)
    summaries = [_cut(summarize_arguments(params), room) for params in listing["params"]]
    keys = [str(key)[:KEY_WIDTH] for key in listing["params_hash"]]
    rows = [list(row) for row in zip(kinds, keys, summaries, sizes, ages, strict=True)]
    return _aligned(["KIND", "KEY", "ARGUMENTS", "SIZE", "AGE"], rows, right=(3, 4))


def wide_lines(listing: pd.DataFrame) -> list[str]:
    """Every field of a listing, nothing cut: the arguments last, as their stored JSON."""
    import pandas as pd

    columns = ["kind", "params_hash", "table", "format", "rows", "bytes", "location", "created_at",
               "function", "code_version", "params"]  # fmt: skip
    rows = [["" if pd.isna(value) else str(value) for value in row] for row in listing[columns].values]
    return _aligned([c.upper() for c in columns], rows, right=(4, 5))


def json_records(listing: pd.DataFrame) -> list[dict[str, Any]]:
    """Every field of a listing, one dict per entry, ready for ``json.dumps`` (arguments as an object)."""

    records = []
    for found in listing.to_dict(orient="records"):
        record = {str(name): None if _missing(value) else value for name, value in found.items()}
        record["created_at"] = found["created_at"].isoformat()
        record["rows"] = None if record["rows"] is None else int(found["rows"])
        record["bytes"] = int(found["bytes"])
        record["params"] = None if record["params"] is None else json.loads(found["params"])
        records.append(record)
    return records


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str | pd.Timestamp) and bool(pd.isna(value)))


def stats_lines(stats: pd.DataFrame) -> list[str]:
    """:func:`banksim.store.maintenance.stats` in human units, with headers and a note on what counts."""
    import pandas as pd

    header = ["KIND", "CALLS", "PARTS", "SIZE", "HITS", "MISSES", "HIT RATE", "COMPUTE AVOIDED"]
    rows = []
    for kind, row in stats.iterrows():
        rate = "-" if pd.isna(row["hit_rate"]) else f"{row['hit_rate']:.0%}"
        counts = [f"{int(row[name]):,}" for name in ("calls", "entries")]
        calls = [f"{int(row[name]):,}" for name in ("hits", "misses")]
        size, avoided = human_size(int(row["bytes"])), human_duration(float(row["compute_seconds_avoided"]))
        rows.append([str(kind), *counts, size, *calls, rate, avoided])
    return [
        *_aligned(header, rows, right=range(1, len(header))),
        "calls: stored results (one per key); parts: the payloads they are made of;",
        "hits, misses: calls of cached functions; compute avoided: hits x the stored compute time",
    ]


def _check_purge(args: argparse.Namespace) -> None:
    """``cache purge`` empties the whole cache only when asked to with ``--all``."""
    given = {"--kind": args.kind, "--older-than": args.older_than, "--max-size": args.max_size}
    filters = [flag for flag, value in given.items() if value is not None]
    if args.orphans:
        others = [*filters, *(["--all"] if args.all else [])]
        if others:
            raise InputError(
                "--orphans",
                f"cannot be combined with {others}",
                allowed="--orphans alone (or with --dry-run): it removes only files no entry points at "
                "and stale temp files",
            )
    elif args.all and filters:
        raise InputError("--all", f"cannot be combined with the filters {filters}", allowed="--all alone")
    elif not (filters or args.all):
        raise InputError(
            "purge",
            "no filter given; emptying the whole cache needs --all",
            allowed="--kind, --older-than and/or --max-size; --all for every entry; "
            "--orphans for only stray payload files and stale temp files",
        )


def _demo(args: argparse.Namespace) -> int:
    from banksim.demo import run_demo

    run_demo(num_positions=args.num_positions, seed=args.seed)
    return 0


APP_NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "explorer_app.ipynb"
CULL_IDLE_SECONDS = 600  # a kernel with no page connected, idle this long, is shut down
CULL_INTERVAL_SECONDS = 60
STOP_SECONDS = 15  # Voila's time to shut its kernels down before they are killed
SERVE = "import sys; from banksim.cli import serve_voila; sys.exit(serve_voila(sys.argv[1:]))"


def explore_command(
    port: int, cull_idle: int = CULL_IDLE_SECONDS, cull_interval: int = CULL_INTERVAL_SECONDS
) -> list[str]:
    """The command that serves the scenario explorer with Voila on localhost (see :func:`serve_voila`).

    Kernels idle for ``cull_idle`` seconds with no page connected are shut down (checked every
    ``cull_interval`` seconds): the safety net for a page that closed without saying so.
    """
    return [
        sys.executable, "-c", SERVE, str(APP_NOTEBOOK), "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1", "--theme=light",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
    ]  # fmt: skip


def _set_xsrf_cookie(handler: Any, notebook: Any, cwd: str) -> Any:
    """Voila prelaunch hook: give the page the ``_xsrf`` cookie.

    When a page closes, Voila's front end posts its kernel's shutdown with the ``_xsrf`` cookie's
    value, but Voila's page handler never sets that cookie, so the post was refused (403) and
    the kernel kept running. Reading ``xsrf_token`` sets the cookie; XSRF checks stay on.
    """
    _ = handler.xsrf_token
    return notebook


def serve_voila(argv: list[str]) -> int:
    """Run Voila in this process with the prelaunch hook that lets a closed page stop its kernel."""
    from traitlets.config import Config
    from voila.app import Voila

    config = Config()
    config.VoilaConfiguration.prelaunch_hook = _set_xsrf_cookie
    Voila.launch_instance(argv, config=config)
    return 0


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop Voila and every kernel it started: SIGTERM (Voila shuts its kernels down), then kill."""
    from contextlib import suppress

    import psutil  # comes with ipykernel, which Voila's kernels need

    try:
        family = psutil.Process(server.pid).children(recursive=True)  # kernels run in their own sessions
    except psutil.NoSuchProcess:
        family = []
    if server.poll() is None:
        server.terminate()
    try:
        server.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, 9)
        server.wait()
    _, alive = psutil.wait_procs(family, timeout=STOP_SECONDS)
    for process in alive:
        with suppress(psutil.NoSuchProcess):
            process.kill()


def _explore(args: argparse.Namespace) -> int:
    import signal

    if not APP_NOTEBOOK.exists():
        raise InputError("explore", f"the app notebook {APP_NOTEBOOK} is missing (install banksim editable)")
    # The environment passes through: Voila's kernels read the same settings, hence the same store.
    # The project root is resolved here, so a kernel started in banksim's notebooks/ folder still
    # reads this project's .env and ./data.
    env = {
        "BANKSIM_PROJECT_ROOT": str(project_root()),
        **os.environ,
        "BANKSIM_APP_POSITIONS": str(args.num_positions),
    }
    print(f"serving the scenario explorer on http://127.0.0.1:{args.port}/ (Ctrl+C to stop)", flush=True)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    server = subprocess.Popen(explore_command(args.port), env=env, start_new_session=True)
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for sig in previous:  # a second Ctrl+C must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        _stop(server)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


DESCRIPTION = """Run the demo, serve the explorer, migrate the database, manage the cache.
Every command acts on the store of the current settings: DB_URL, ARTIFACT_STORE and ARTIFACT_PATH,
from the environment or the project's .env file."""


class _HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default, unless its text already does or there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            action.default in (None, False, argparse.SUPPRESS)
            or "default" in text
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="banksim", description=DESCRIPTION, formatter_class=_HelpFormatter)
    parser.add_argument(
        "--log-level",
        default=None,
        type=str.upper,
        choices=LOG_LEVELS,
        help="override LOG_LEVEL for this command",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(group: Any, name: str, text: str, run: Any, details: str = "") -> argparse.ArgumentParser:
        description = f"{text[0].upper()}{text[1:]}. {details}".strip()
        sub: argparse.ArgumentParser = group.add_parser(
            name, help=text, description=description, formatter_class=_HelpFormatter
        )
        sub.set_defaults(run=run)
        return sub

    demo = command(commands, "demo", "generate a bank twice and show the cache at work", _demo)
    demo.add_argument(
        "--num-positions", type=int, default=10_000, metavar="N", help="positions of the synthetic bank"
    )
    demo.add_argument("--seed", type=int, default=42, metavar="N", help="seed of the generator")

    explore = command(commands, "explore", "serve the scenario explorer as a web app (Voila)", _explore)
    explore.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    explore.add_argument(
        "--num-positions", type=int, default=2_000, help="positions of the bank the page opens with"
    )

    db = command(commands, "db", "show or upgrade the database schema", _db)
    db.add_argument(
        "action",
        choices=["upgrade", "current"],
        help="upgrade: migrate to the newest schema revision; current: print the revision it is at",
    )

    cache = commands.add_parser(
        "cache", help="list, summarise, verify or purge cached results", formatter_class=_HelpFormatter,
        description="List, summarise, verify or purge cached results. "
        "Each action has its own --help.",
    )  # fmt: skip
    actions = cache.add_subparsers(dest="action", required=True, metavar="ACTION")
    kind_help = "only entries of this kind (a payload kind or a cached function's kind)"

    ls = command(
        actions, "ls", "list stored entries: kind, key, arguments, size, age", _ls,
        "One line per stored part, cut to the terminal's width (COLUMNS; 100 when unknown).",
    )  # fmt: skip
    ls.add_argument("--kind", help=kind_help)
    shape = ls.add_mutually_exclusive_group()
    shape.add_argument(
        "--wide", action="store_true", help="every field, nothing cut (full key, arguments as JSON)"
    )
    shape.add_argument("--json", action="store_true", help="one JSON object per entry and line, every field")

    command(
        actions, "stats", "calls, parts, size, hits, misses, hit rate and compute avoided per kind", _stats
    )

    verify = command(
        actions, "verify", "read every payload, check its checksum, remove the damaged ones", _verify
    )
    verify.add_argument("--kind", help=kind_help)
    verify.add_argument("--dry-run", action="store_true", help="list the damaged payloads, remove nothing")

    purge = command(
        actions, "purge", "remove entries by kind, age or total size; --all for every entry", _purge,
        "A purge with no filter is refused; --dry-run lists what would go. --kind and --older-than "
        "remove the entries they match; with --max-size, whole calls (of --kind, if given) go, least "
        "recently used first, until the rest fits (after any --older-than removal).",
    )  # fmt: skip
    purge.add_argument("--kind", help=kind_help)
    purge.add_argument(
        "--older-than", default=None, metavar="AGE", help="only entries older than this, e.g. 7d, 12h"
    )
    purge.add_argument(
        "--max-size",
        default=None,
        metavar="SIZE",
        help="then remove least recently used calls until the cache fits, e.g. 5GB, 500MB",
    )
    purge.add_argument("--dry-run", action="store_true", help="list what would go, remove nothing")
    purge.add_argument("--all", action="store_true", help="every entry (needed when no filter is given)")
    purge.add_argument(
        "--orphans",
        action="store_true",
        help="only payload files no entry points at and temp files of crashed writes (over 1 h old)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``banksim`` console script.

    Bad settings, bad arguments and an unreachable database end in one line on stderr,
    ``banksim: error: <message>`` (passwords masked), and exit code 2; never a traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        with _configured(args.log_level):
            return int(args.run(args))
    except BanksimError as exc:
        return _fail(str(exc))
    except SQLAlchemyError as exc:
        return _fail(_database_message(exc))
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))


@contextlib.contextmanager
def _configured(log_level: str | None) -> Iterator[None]:
    """Read the settings (a bad one raises here), set up logging, pin the level for the command."""
    from banksim.settings import get_settings, override_settings

    level = (log_level or get_settings().log_level).upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    with override_settings(log_level=level):
        yield


def _fail(message: str) -> int:
    print(f"banksim: error: {message}", file=sys.stderr)
    return 2


def _database_message(exc: SQLAlchemyError) -> str:
    """One line saying which database (password masked) and what its driver said."""
    from banksim.settings import get_settings, mask_secrets, mask_url

    url = get_settings().db_url
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    said = lines[0].strip() if lines else type(cause).__name__
    return f"cannot use the database DB_URL={mask_url(url)}: {mask_secrets(said, url)}"


if __name__ == "__main__":
    sys.exit(main())
