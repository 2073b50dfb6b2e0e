"""``--dry-run``: what a build would publish, without writing anything — the experiments and
runs (after --experiment/--exclude-experiment), the artifacts and their bytes, and what is
redacted or withheld and why. The store is read, selected, redacted and its artifacts located
exactly as a build does (``SiteBuilder.read``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sitegen.builder.result import plural
from sitegen.entities import Store


@dataclass
class DryRun:
    """What would be published: one line per experiment and totals, then what is redacted."""

    experiments: list[tuple[str, str, int, int, int]] = field(default_factory=list)  # id, name, runs, files, bytes
    redacted: list[str] = field(default_factory=list)  # "<where>: <field>: <why>"
    withheld: list[str] = field(default_factory=list)  # artifacts not copied, and why
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, store: Store) -> "DryRun":
        report = cls(warnings=list(store.warnings))
        for exp in store.experiments:
            files = [a for r in exp.runs for a in r.artifacts if not a.skipped]
            files += [a for m in exp.logged_models for a in m.artifacts if not a.skipped]
            report.experiments.append(
                (exp.experiment_id, exp.name, len(exp.runs), len(files), sum(a.size for a in files))
            )
            owners = [(f"experiment {exp.name}", exp)] + [(f"run {r.display_name} ({r.run_id})", r) for r in exp.runs]
            owners += [(f"logged model {m.display_name}", m) for m in exp.logged_models]
            for where, owner in owners:
                report.redacted += [f"{where}: {k}: {why}" for k, why in sorted(owner.redacted.items())]
                for a in getattr(owner, "artifacts", []):
                    if a.skipped:
                        report.withheld.append(f"{where}: {a.path}: {a.skipped}")
        for model in store.registered_models:
            report.redacted += [
                f"registered model {model.name}: {k}: {why}" for k, why in sorted(model.redacted_with_versions.items())
            ]
        return report

    def lines(self) -> list[str]:
        runs = sum(e[2] for e in self.experiments)
        files, size = sum(e[3] for e in self.experiments), sum(e[4] for e in self.experiments)
        out = [
            f"would publish {plural(len(self.experiments), 'experiment')}, {plural(runs, 'run')}, "
            f"{plural(files, 'artifact')} ({size:,} bytes):"
        ]
        out += [
            f"  {name} ({eid}): {plural(n, 'run')}, {plural(f, 'artifact')} ({b:,} bytes)"
            for eid, name, n, f, b in self.experiments
        ]
        out.append(f"redacted ({len(self.redacted)}):" if self.redacted else "redacted: nothing")
        out += [f"  {line}" for line in self.redacted]
        if self.withheld:
            out.append(f"not copied ({len(self.withheld)}):")
            out += [f"  {line}" for line in self.withheld]
        return out
