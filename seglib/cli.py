"""The ``seglib`` command: ``demo``, ``run``, ``assign`` and ``init``.

Library code raises; only this module turns errors into exit codes: 2 for bad
input or config, 1 for a run that failed, 0 for success.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from seglib.errors import InputError, SeglibError


def _check_out_folder(out: Path) -> None:
    """Refuse an ``--out`` folder that is an existing file, or lies under one.

    Raises
    ------
    InputError
        Naming the first existing path (``out`` or a parent) that is not a folder.
    """
    for path in (out, *out.parents):
        if path.is_symlink() or path.exists():
            if not path.is_dir():
                raise InputError(f"{path} exists and is not a folder; choose a new --out")
            return


def _cmd_demo(args: argparse.Namespace) -> int:
    from seglib import synth
    from seglib.config import demo_config_text

    out = Path(args.out)
    _check_out_folder(out)
    print(f"generating demo data: {args.customers:,} customers, seed {args.seed}, "
          f"locale {args.locale} -> {out}/", flush=True)
    try:
        paths = synth.write_demo(out, n_customers=args.customers, seed=args.seed,
                                 locale=args.locale)
    except ValueError as err:
        raise InputError(f"seglib demo: {err}") from err
    config_path = out / "config.yaml"
    config_path.write_text(
        demo_config_text({k: p.name for k, p in paths.items()}, locale=args.locale,
                         seed=args.seed, our_brand=synth.our_brand(args.locale)),
        encoding="utf-8",
    )
    print(f"wrote {', '.join(p.name for p in paths.values())} and {config_path}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from seglib.config import load_config
    from seglib.workbook import run

    config = load_config(Path(args.config))
    if args.out:
        _check_out_folder(Path(args.out))
    print(f"running the STP workbook for {config.client!r}", flush=True)
    run_dir = run(config, Path(args.out) if args.out else None,
                  echo=lambda line: print(line, flush=True))
    print(f"done. report: {run_dir / 'report.html'}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from seglib.config import slugify, template_text

    if not args.name.strip():
        raise InputError("seglib init: give the client's name, e.g. seglib init \"Acme Ltd\"")
    path = Path(args.out) if args.out else Path(f"{slugify(args.name)}.yaml")
    if path.is_symlink() or path.exists():
        raise InputError(f"{path} exists; choose another name or --out")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{parent} exists and is not a folder; choose another --out")
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template_text(args.name), encoding="utf-8")
    print(f"wrote {path}: point data.*.path at the client's files, then `seglib run {path}`")
    return 0


def _cmd_assign(args: argparse.Namespace) -> int:
    from seglib.segment import UNCLASSIFIED, assign_file

    assigned = assign_file(Path(args.run_dir), Path(args.customers), Path(args.out))
    counts = assigned["segment_name"].value_counts()
    unclassified = int((assigned["segment"] == UNCLASSIFIED).sum())
    print(f"assigned {len(assigned):,} customers to {assigned['segment'].nunique()} groups "
          f"({unclassified:,} unclassified) -> {args.out}")
    for name, n in counts.items():
        print(f"  {n:>8,}  {name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``seglib`` command."""
    parser = argparse.ArgumentParser(
        prog="seglib", description="STP marketing workbook: segmentation, targeting, "
        "positioning, personas and the customer lifecycle.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate the demo retailer's data and its config")
    demo.add_argument("--out", default="data/demo", help="folder to write (default data/demo)")
    demo.add_argument("--customers", type=int, default=5000, help="number of customers")
    demo.add_argument("--seed", type=int, default=42, help="random seed")
    demo.add_argument("--locale", default="en", choices=["en", "vi"], help="names and currency")
    demo.set_defaults(func=_cmd_demo)

    run = sub.add_parser("run", help="run the whole STP chain for one config")
    run.add_argument("config", help="the client's YAML config")
    run.add_argument("--out", help="run folder (default reports/<client>/<YYYYmmdd-HHMMSS>)")
    run.set_defaults(func=_cmd_run)

    assign = sub.add_parser("assign", help="put new customers into a run's segments")
    assign.add_argument("run_dir", help="the run folder holding segment_model.joblib")
    assign.add_argument("customers", help="CSV, Excel or Parquet file: customer_id and the "
                        "segmentation features")
    assign.add_argument("--out", required=True, help="CSV file to write (customer_id, segment, "
                        "segment_name, unclassified_reason)")
    assign.set_defaults(func=_cmd_assign)

    init = sub.add_parser("init", help="write a commented config template")
    init.add_argument("name", help="the client's name")
    init.add_argument("--out", help="file to write (default NAME.yaml, with NAME made safe "
                      "for a file name: 'Acme Corp/UK' -> Acme-Corp-UK.yaml)")
    init.set_defaults(func=_cmd_init)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SeglibError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `seglib assign ... | head`: the reader left; the work is done
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as err:  # a bug: say so in one line; the traceback on request
        if os.environ.get("SEGLIB_DEBUG"):
            raise
        print(f"error: unexpected {type(err).__name__}: {err}\n"
              "This is a bug in seglib; run again with SEGLIB_DEBUG=1 to see the traceback "
              "and report it.", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
