"""The ``banksim`` command: run the demo, serve the explorer, migrate the database, manage the cache.

Every sub-command acts on the store of the current settings (``DB_URL``, ``ARTIFACT_STORE``,
``ARTIFACT_PATH`` from the environment or ``.env``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from banksim.errors import BanksimError, InputError
from banksim.settings import LOG_LEVELS, project_root

if TYPE_CHECKING:
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


def _cache(args: argparse.Namespace) -> int:
    import pandas as pd

    if args.action == "purge":
        _check_purge(args)  # before the store opens: a refused purge touches nothing
    store = _store()
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.max_colwidth", 40):
        if args.action == "ls":
            listing = store.list_entries(args.kind)
            columns = ["kind", "params_hash", "format", "rows", "bytes", "location", "created_at", "params"]
            print(listing[columns].to_string(index=False) if len(listing) else "the cache is empty")
        elif args.action == "stats":
            print(store.stats().to_string())
        elif args.action == "verify":
            damaged = store.verify(args.kind, dry_run=args.dry_run)
            verb = "found" if args.dry_run else "removed"
            print(f"{verb} {len(damaged)} damaged payloads")
            if len(damaged):
                print(damaged.to_string(index=False))
        elif args.orphans:
            orphans = store.remove_orphans(dry_run=args.dry_run)
            verb = "would remove" if args.dry_run else "removed"
            print(f"{verb} {len(orphans)} orphan or stale temp files")
            for path in orphans:
                print(f"  {path}")
        else:
            parts = []  # by kind and age, then least recently used until the cache fits
            if args.max_size is None or args.older_than is not None:
                parts.append(store.purge(args.kind, args.older_than, dry_run=args.dry_run))
            if args.max_size is not None:
                parts.append(store.shrink(args.max_size, args.kind, dry_run=args.dry_run))
            removed = pd.concat(parts, ignore_index=True)
            verb = "would remove" if args.dry_run else "removed"
            print(f"{verb} {len(removed)} entries, {int(removed['bytes'].sum())} bytes")
            if len(removed):
                print(removed[["kind", "params_hash", "bytes", "created_at"]].to_string(index=False))
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="banksim", description=__doc__)
    parser.add_argument(
        "--log-level",
        default=None,
        type=str.upper,
        choices=LOG_LEVELS,
        help="override LOG_LEVEL for this command",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="generate a bank twice and show the cache at work")
    demo.add_argument("--num-positions", type=int, default=10_000)
    demo.add_argument("--seed", type=int, default=42)
    demo.set_defaults(run=_demo)

    explore = commands.add_parser("explore", help="serve the scenario explorer as a web app (Voila)")
    explore.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    explore.add_argument(
        "--num-positions", type=int, default=2_000, help="positions of the bank the page opens with"
    )
    explore.set_defaults(run=_explore)

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(run=_db)

    cache = commands.add_parser("cache", help="list, summarise, verify or purge cached results")
    cache.add_argument("action", choices=["ls", "stats", "verify", "purge"])
    cache.add_argument("--kind", default=None, help="only entries of this kind")
    cache.add_argument("--older-than", default=None, help="purge: only entries older than e.g. 7d, 12h")
    cache.add_argument(
        "--max-size",
        default=None,
        help="purge: then remove least recently used calls until the cache fits, e.g. 5GB, 500MB",
    )
    cache.add_argument("--dry-run", action="store_true", help="purge, verify: list, remove nothing")
    cache.add_argument(
        "--all", action="store_true", help="purge: every entry (needed when no filter is given)"
    )
    cache.add_argument(
        "--orphans",
        action="store_true",
        help="purge: only payload files no entry points at and temp files of crashed writes (> 1 h old)",
    )
    cache.set_defaults(run=_cache)
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
