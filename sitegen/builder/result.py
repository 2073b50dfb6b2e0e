"""What a build reports: counts, time, warnings, and its one-line summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sitegen import artifacts
from sitegen.entities import Store
from sitegen.safety.redact import count_redacted


@dataclass
class BuildResult:
    """``out``: the site's folder; ``store_uri`` as given; counts of experiments and runs in
    the site, runs whose pages were made anew (``runs_rendered``), pages, charts and artifact
    files written; wall time in seconds; one line per problem found in the store."""

    out: Path
    store_uri: str
    experiments: int = 0
    runs: int = 0
    runs_rendered: int = 0
    pages: int = 0
    charts: int = 0
    artifacts: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    redacted: int = 0  # values replaced by "[redacted]" (secrets), in the whole site
    home_paths: int = 0  # values that show a home folder (--hide-paths hides them)

    # True when nothing the site shows changed since the last build (every page kept)
    unchanged: bool = False

    def summary(self) -> str:
        """One line: "3 experiments, 9 runs, 13 pages, 37 charts, 10 artifacts in 1.4 s"."""
        warned = f", {plural(len(self.warnings), 'warning')}" if self.warnings else ""
        if self.redacted:
            warned = f", {plural(self.redacted, 'value')} redacted{warned}"
        if self.unchanged:
            return (
                f"site unchanged: {plural(self.experiments, 'experiment')}, "
                f"{plural(self.runs, 'run')} as before, checked in {self.seconds:.1f} s{warned}"
            )
        reused = self.runs - self.runs_rendered
        extra = f" ({reused} unchanged)" if reused else ""
        return (
            f"{plural(self.experiments, 'experiment')}, {plural(self.runs, 'run')}{extra}, "
            f"{plural(self.pages, 'page')}, {plural(self.charts, 'chart')}, "
            f"{plural(self.artifacts, 'artifact')} in {self.seconds:.1f} s{warned}"
        )


def plural(n: int, noun: str) -> str:
    """ "1 run", "2 runs", "1,234 runs"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def read_result(store: Store, out: Path, store_uri: str, home_paths: int) -> BuildResult:
    """A build's result once its store is read: counts, the store's warnings, values redacted,
    and a warning when no run's artifact folder was found (a moved store)."""
    runs = [r for e in store.experiments for r in e.runs]
    result = BuildResult(out=out, store_uri=store_uri, experiments=len(store.experiments), runs=len(runs))
    result.warnings.extend(store.warnings)
    result.redacted = count_redacted(store)
    result.home_paths = home_paths
    with_uri = [r for r in runs if r.artifact_uri]
    found_any = any(r.artifact_dir for r in with_uri) or any(m.artifact_dir for m in store.logged_models())
    if not found_any and any(not artifacts.logged_nothing(r, store.base_dir) for r in with_uri):
        # MLflow 3 runs often log only models, found apart
        result.warnings.append(
            f"no artifact folder was found for any of the {len(with_uri)} runs: "
            "none were logged, or the store was moved (then pass --artifacts DIR)"
        )
    return result
