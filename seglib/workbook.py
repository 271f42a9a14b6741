"""The runner: execute the six stage notebooks with papermill into one run folder.

A run folder holds the executed notebooks, every stage's files, ``report.html``
and ``manifest.json`` (config, input hashes, package versions, seed, per-stage
time and status). A failed stage stops the run, marks the manifest failed and
leaves no ``report.html``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from seglib.config import RunConfig, config_to_dict, write_config
from seglib.errors import (
    INPUT_ERROR_NAMES,
    ConfigError,
    DataError,
    InputError,
    Interrupted,
    SeglibError,
    StageError,
)
from seglib.run_folder import pending_path


@dataclass(frozen=True)
class Stage:
    """One step of the STP chain: its notebook and its config section."""

    name: str
    notebook: str
    section: str


STAGES = (
    Stage("collect", "01_collect.ipynb", "collect"),
    Stage("segment", "02_segment.ipynb", "segmentation"),
    Stage("targeting", "03_targeting.ipynb", "targeting"),
    Stage("position", "04_position.ipynb", "positioning"),
    Stage("lifecycle", "05_lifecycle.ipynb", "lifecycle"),
    Stage("personas", "06_personas.ipynb", "personas"),
)

#: Run-level parameters each notebook receives besides its section's keys.
COMMON_PARAMETERS = {
    "collect": ("run_dir", "config_path"),
    "segment": ("run_dir", "seed", "locale", "lifecycle"),
    "targeting": ("run_dir", "seed", "locale", "currency"),
    "position": ("run_dir", "locale"),
    "lifecycle": ("run_dir", "locale"),
    "personas": ("run_dir", "seed", "locale", "currency"),
}

PACKAGES = ("seglib", "stp-workbook", "pandas", "numpy", "scikit-learn", "seaborn", "matplotlib",
            "papermill", "pyarrow", "pydantic", "duckdb")


def notebooks_dir() -> Path:
    """The folder of the stage notebooks.

    ``SEGLIB_NOTEBOOKS`` when set; else the copy inside an installed package
    (``seglib/notebooks``, package data of the wheel); else ``notebooks/`` of the checkout
    the package is imported from (an editable install, or a notebook in JupyterLab).
    """
    override = os.environ.get("SEGLIB_NOTEBOOKS")
    package = Path(__file__).resolve().parent
    candidates = [Path(override)] if override else [package / "notebooks",
                                                    package.parent / "notebooks"]
    for folder in candidates:
        if all((folder / stage.notebook).is_file() for stage in STAGES):
            return folder
    raise SeglibError(f"the stage notebooks are not in {' or '.join(map(str, candidates))}: "
                      "reinstall stp-workbook, or set SEGLIB_NOTEBOOKS to their folder")


def stage_parameters(config: RunConfig, stage: Stage, run_dir: Path,
                     config_snapshot: Path) -> dict:
    """The parameters papermill injects into one stage's notebook."""
    common = {"run_dir": str(run_dir), "config_path": str(config_snapshot),
              "seed": config.seed, "locale": config.locale,
              "currency": config.currency,
              # the personas' lifecycle-stage mix follows the run's lifecycle rules
              "lifecycle": config_to_dict(config)["lifecycle"]}
    params = {k: common[k] for k in COMMON_PARAMETERS[stage.name]}
    params.update(config_to_dict(config)[stage.section])
    return params


def sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the results."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def default_run_dir(config: RunConfig, root: Path = Path("reports")) -> Path:
    """``reports/<client>/<YYYYmmdd-HHMMSS>/``, created here.

    Two runs of one client started in the same second get ``-2``, ``-3``...: each its own
    folder, atomically.
    """
    stem = root / config.slug() / datetime.now().strftime("%Y%m%d-%H%M%S")
    stem.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        candidate = stem if n == 1 else stem.with_name(f"{stem.name}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise InputError(f"{stem.parent}: a thousand runs started this second; choose an --out")


class _Manifest:
    def __init__(self, path: Path, data: dict) -> None:
        self.path = path
        self.data = data
        self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


def _prepare_run_dir(run_dir: Path) -> None:
    """Claim the output folder for this run, atomically.

    The folder must be new or empty. The claim is the manifest, created with O_EXCL: of
    two runs started into the same ``--out`` at once, the second is refused, never
    interleaved with the first.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"{run_dir} exists and is not a folder; choose a new --out")
    if run_dir.exists() and any(run_dir.iterdir()):
        raise InputError(f"{run_dir}: output folder exists and is not empty; choose a new --out")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        handle = os.open(run_dir / "manifest.json", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        raise InputError(f"{run_dir}: another run has just started in this folder; choose a "
                         f"new --out") from None
    except OSError as err:
        raise InputError(f"{run_dir}: the output folder cannot be created or written "
                         f"({err.strerror}); choose an --out you can write to") from None
    os.close(handle)
    (run_dir / "notebooks").mkdir(exist_ok=True)


def _stage_failure(stage: Stage, err: Exception) -> StageError:
    """Turn papermill's error into one message naming the notebook and the cell."""
    ename = getattr(err, "ename", type(err).__name__)
    evalue = getattr(err, "evalue", str(err))
    cell = getattr(err, "exec_count", None)
    where = f"notebooks/{stage.notebook}" + (f", cell [{cell}]" if cell else "")
    code = 2 if ename in INPUT_ERROR_NAMES else 1
    return StageError(f"stage '{stage.name}' failed in {where}: {ename}: {evalue}", exit_code=code)


@contextmanager
def _kernel_environment(peak_file: Path):
    """The environment a stage kernel starts with.

    Plots drawn inline (a user's MPLBACKEND=Agg would lose every plot), the file
    where the kernel leaves its peak memory when it exits (see ``seglib._peak``), and
    no debugger chatter on the terminal.
    """
    values = {"MPLBACKEND": "module://matplotlib_inline.backend_inline",
              "SEGLIB_PEAK_FILE": str(peak_file),
              # older ipykernels print four lines of debugger warnings per kernel
              "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _stage_peak_gb(peak_file: Path) -> float | None:
    """The peak memory a stage kernel reported, in GB (None if it reported none)."""
    try:
        peak = int(peak_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    finally:
        peak_file.unlink(missing_ok=True)
    return round(peak / 1024**3, 3)


def _decisions(config: RunConfig, run_dir: Path, as_of: str | None) -> list[list[str]]:
    """The decision log of the appendix: what was chosen, and why, in the run's language."""
    from seglib import i18n
    from seglib.run_folder import RunFolder

    locale = config.locale
    seg, life = config.segmentation, config.lifecycle
    profiles = RunFolder(run_dir).read_segment_profiles()
    k = int((profiles["segment"] != 0).sum())
    fixed = seg.n_segments is not None
    rows = [[i18n.t("decision.segments", locale), i18n.number(k, locale),
             i18n.t("decision.segments_fixed", locale) if fixed else
             i18n.t("decision.segments_auto", locale, k_min=seg.k_min, k_max=seg.k_max)],
            [i18n.t("decision.targets", locale), i18n.number(config.targeting.top_n, locale),
             i18n.t("decision.targets_reason", locale)],
            [i18n.t("decision.as_of", locale), i18n.date(as_of, locale),
             i18n.t("decision.as_of_reason", locale)],
            [i18n.t("decision.lifecycle", locale),
             i18n.t("decision.lifecycle_value", locale, new_days=life.new_days,
                    active_days=life.active_days, lapsed_days=life.lapsed_days),
             i18n.t("decision.lifecycle_reason", locale)]]
    return rows


#: What the client receives from a run: written under a temporary name, renamed only when
#: every stage and every one of them is done, just before the manifest says "complete".
DELIVERABLES = ("report.html", "deck.pptx", "workbook.html", "personas.html", "report.pdf",
                "personas.pdf")


pending = pending_path


def _publish(run_dir: Path) -> None:
    """Give every pending deliverable its name (the last step before "complete")."""
    for name in DELIVERABLES:
        waiting = pending(run_dir / name)
        if waiting.is_file():
            os.replace(waiting, run_dir / name)


def _withdraw(run_dir: Path) -> None:
    """Remove the deliverables of a run that did not complete, pending or published."""
    for name in DELIVERABLES:
        (run_dir / name).unlink(missing_ok=True)
        pending(run_dir / name).unlink(missing_ok=True)


class _Stop:
    """SIGTERM (as Ctrl-C) raises :class:`Interrupted` in the run while it is installed."""

    def __enter__(self) -> _Stop:
        import signal
        import threading

        self.previous = None
        if threading.current_thread() is threading.main_thread():
            def stop(signum, frame):  # noqa: ARG001 - the signal handler's signature
                raise Interrupted("the run was stopped (SIGTERM)", exit_code=143)

            self.previous = signal.signal(signal.SIGTERM, stop)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _write_report(config: RunConfig, run_dir: Path, executed: list[Path], manifest: dict) -> None:
    """Write ``report.html``, ``deck.pptx`` and ``workbook.html`` (under pending names).

    The report is the client's (cover, executive summary, findings, appendix;
    :mod:`seglib.client_report`), the deck the same as slides, and the workbook every
    executed notebook, the method step by step (:func:`seglib.report.build_report`).
    """
    from seglib import i18n
    from seglib.client_report import build_client_report
    from seglib.deck import build_deck
    from seglib.report import STYLE, build_report
    from seglib.run_folder import RunFolder
    from seglib.summary import executive_summary

    locale = config.locale
    currency = config.currency or ""
    summary = executive_summary(
        run_dir, locale=locale, currency=currency,
        campaign_costs="cost_per_contact" in config.targeting.roi.model_fields_set)
    as_of = RunFolder(run_dir).read_collect_meta().get("as_of")
    created = manifest["started"]
    subtitle = [i18n.t("report.prepared_for", locale, client=config.client),
                i18n.t("report.date", locale, as_of=i18n.date(as_of, locale),
                       created=i18n.date(created, locale))]
    facts = {"client": config.client, "run": run_dir.name, "created": created,
             "seed": str(config.seed),
             "version": manifest["versions"].get("stp-workbook", "")}
    shown = {i18n.t(f"report.meta.{key}", locale): value for key, value in facts.items()}
    title = i18n.t("report.title", locale)
    logo = config.logo.read_bytes() if config.logo else None
    build_client_report(run_dir, pending(run_dir / "report.html"), summary, title=title,
                        subtitle=subtitle, locale=locale, currency=currency,
                        decisions=_decisions(config, run_dir, as_of), facts=shown, css=STYLE,
                        logo=logo)
    build_deck(run_dir, pending(run_dir / "deck.pptx"), summary, locale=locale,
               currency=currency,
               cover=[config.client, subtitle[1]], facts=shown, logo=logo)
    build_report(executed, pending(run_dir / "workbook.html"),
                 title=f"{config.client}: the STP workbook, step by step",
                 meta={"client": config.client, "run": run_dir.name, "created": created,
                       "seed": str(config.seed), "seglib": facts["version"]})


def _write_pdfs(run_dir: Path, echo: Callable[[str], None]) -> dict:
    """``report.pdf`` and ``personas.pdf`` where a renderer is installed (else say how).

    A PDF that cannot be printed is reported and left out; the HTML pages are the
    deliverables and the run stays complete.
    """
    from seglib import pdf

    found = pdf.renderer()
    if found is None:
        echo(f"note: {pdf.HOW_TO_GET_ONE}")
        return {"renderer": None, "written": []}
    written = []
    for name in ("report", "personas"):  # the workbook is for reading on screen
        source = pending(run_dir / f"{name}.html")
        if not source.is_file():
            continue
        try:
            pdf.to_pdf(source, pending(run_dir / f"{name}.pdf"))
            written.append(f"{name}.pdf")
        except RuntimeError as err:
            echo(f"note: {name}.pdf not written: {err}")
    return {"renderer": found, "written": written}


def _run_stages(config: RunConfig, run_dir: Path, snapshot: Path, manifest: _Manifest,
                echo: Callable[[str], None]) -> None:
    """Execute the stage notebooks in order, then write the deliverables (pending)."""
    import papermill as pm

    source = notebooks_dir()
    executed = []
    total = len(STAGES)
    for i, stage in enumerate(STAGES, start=1):
        target = run_dir / "notebooks" / stage.notebook
        entry = {"name": stage.name, "notebook": f"notebooks/{stage.notebook}",
                 "status": "running", "seconds": None}
        manifest.data["stages"].append(entry)
        manifest.save()
        start = time.perf_counter()
        peak_file = run_dir / "notebooks" / f".{stage.name}.peak"
        try:
            with _kernel_environment(peak_file):
                pm.execute_notebook(
                    str(source / stage.notebook), str(target),
                    parameters=stage_parameters(config, stage, run_dir, snapshot),
                    kernel_name="python3", cwd=str(run_dir), progress_bar=False,
                    log_output=False, stdout_file=None, stderr_file=None,
                    # the kernel's own start-up warnings are not for the user
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                )
        except Interrupted:
            raise  # not a failure of the stage: run() marks the manifest interrupted
        except Exception as err:  # papermill raises its own types; name the stage
            failure = err if isinstance(err, SeglibError) else _stage_failure(stage, err)
            entry.update(status="failed", seconds=round(time.perf_counter() - start, 2),
                         peak_gb=_stage_peak_gb(peak_file), error=str(failure))
            manifest.data.update(status="failed",
                                 finished=datetime.now().isoformat(timespec="seconds"),
                                 error=str(failure))
            manifest.save()
            echo(f"[{i}/{total}] {stage.name:<10} FAILED after {entry['seconds']:.1f} s")
            raise failure from err
        entry.update(status="ok", seconds=round(time.perf_counter() - start, 2),
                     peak_gb=_stage_peak_gb(peak_file))
        unfinished = sorted(p.name for p in run_dir.glob(".*.partial"))
        if unfinished:  # a notebook edited so that it stops before its files are complete
            message = (f"stage '{stage.name}' ended with files not written to the end "
                       f"({', '.join(unfinished)}): run notebooks/{stage.notebook} to its "
                       f"last cell")
            entry.update(status="failed", error=message)
            manifest.data.update(status="failed", error=message,
                                 finished=datetime.now().isoformat(timespec="seconds"))
            manifest.save()
            raise StageError(message)
        manifest.save()
        executed.append(target)
        echo(f"[{i}/{total}] {stage.name:<10} {entry['seconds']:6.1f} s")
    try:
        _write_report(config, run_dir, executed, manifest.data)
    except Interrupted:
        raise
    except Exception as err:
        message = f"the report could not be written: {type(err).__name__}: {err}"
        manifest.data.update(status="failed", error=message,
                             finished=datetime.now().isoformat(timespec="seconds"))
        manifest.save()
        raise SeglibError(message) from err
    manifest.data["pdf"] = _write_pdfs(run_dir, echo)


#: Targeting criteria and the source without which no run can compute them.
CRITERION_SOURCES = {"growth_customers": "transactions", "growth_revenue": "transactions",
                     "clv_mean": "transactions", "clv_total": "transactions",
                     "cost_to_serve": "service"}


def check_before_running(config: RunConfig) -> None:
    """Refuse what the config asks for and its sources can never give.

    Exit 2 at once, not after the first stages have run for a minute.
    """
    sources = config.sources()
    weights = config.targeting.weights or {}
    missing = sorted(k for k, w in weights.items()
                     if w > 0 and CRITERION_SOURCES.get(k) and CRITERION_SOURCES[k] not in sources)
    if missing:
        needs = ", ".join(f"{k} (needs data.{CRITERION_SOURCES[k]})" for k in missing)
        raise ConfigError(f"targeting.weights: {needs}: the config has no such source; set "
                          f"their weight to 0, remove them, or add the source")


def run(config: RunConfig, out_dir: Path | None = None, *,
        echo: Callable[[str], None] = print) -> Path:
    """Run every stage for one config; return the run folder.

    Raises
    ------
    InputError
        If the output folder is not empty, or a stage found bad input (exit 2).
    StageError
        If a stage notebook failed (exit 1).
    Interrupted
        If the run was stopped by Ctrl-C or SIGTERM: the manifest says "interrupted" and
        which stage, and no deliverable is left in the folder.
    """
    check_before_running(config)
    run_dir = Path(out_dir) if out_dir is not None else default_run_dir(config)
    run_dir = run_dir.resolve()
    _prepare_run_dir(run_dir)
    snapshot = write_config(config, run_dir / "config.yaml")
    inputs = {}
    for name, src in config.sources().items():
        try:
            inputs[name] = {"path": str(src.path), "sha256": sha256(src.path)}
        except OSError as err:
            raise DataError(f"data.{name} ({src.path}): cannot be read: {err}") from err
    manifest = _Manifest(run_dir / "manifest.json", {
        "client": config.client,
        "status": "running",
        "started": datetime.now().isoformat(timespec="seconds"),
        "seed": config.seed,
        "config": config_to_dict(config),
        "inputs": inputs,
        "versions": package_versions(),
        "platform": f"{platform.system()} {platform.machine()}",
        "stages": [],
    })
    try:
        with _Stop():
            _run_stages(config, run_dir, snapshot, manifest, echo)
    except (KeyboardInterrupt, Interrupted) as err:
        stopped = err if isinstance(err, Interrupted) else Interrupted(
            "the run was stopped (Ctrl-C)")
        entries = manifest.data["stages"]
        stage = next((e["name"] for e in entries if e["status"] == "running"),
                     STAGES[len(entries)].name if len(entries) < len(STAGES) else "report")
        for entry in manifest.data["stages"]:
            if entry["status"] == "running":
                entry["status"] = "interrupted"
        _withdraw(run_dir)
        manifest.data.update(status="interrupted", interrupted_in=stage,
                             finished=datetime.now().isoformat(timespec="seconds"),
                             error=f"{stopped} during '{stage}'")
        manifest.save()
        raise Interrupted(f"{stopped} during '{stage}'; {run_dir} is incomplete "
                          f"(its manifest says interrupted): run again into a new folder",
                          exit_code=stopped.exit_code) from None
    except BaseException:
        _withdraw(run_dir)  # a failed run never leaves a report that looks complete
        raise
    _publish(run_dir)
    outputs = sorted(p for p in run_dir.iterdir() if p.is_file() and p.name != "manifest.json"
                     and not p.name.startswith("."))
    manifest.data.update(status="complete", finished=datetime.now().isoformat(timespec="seconds"),
                         outputs={p.name: sha256(p) for p in outputs})
    manifest.save()
    return run_dir
