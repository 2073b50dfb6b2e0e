"""Runs as trees: parents and children (MLflow's ``mlflow.parentRunId`` tag), for pages that
show a run's family and runs tables that nest children under their parent."""

from __future__ import annotations

from sitegen.entities import Experiment, Run, Store

Relations = dict[str, tuple["Run | None", list[Run]]]  # run id → (parent, children)


def relations(store: Store) -> Relations:
    """Each run's parent (None when it has none in the store) and children, oldest first."""
    by_id = store.run_by_id()
    children: dict[str, list[Run]] = {}
    for run in by_id.values():
        pid = run.parent_run_id
        if pid and pid in by_id and pid != run.run_id:
            children.setdefault(pid, []).append(run)
    for lst in children.values():
        lst.sort(key=lambda r: (r.start_time or 0, r.run_id))
    return {
        rid: (by_id.get(r.parent_run_id) if r.parent_run_id != rid else None, children.get(rid, []))
        for rid, r in by_id.items()
    }


def groups(exp: Experiment, rel: Relations) -> list[list[tuple[Run, int]]]:
    """Runs grouped as trees: each group is a top-level run followed by its descendants."""
    ids = {r.run_id for r in exp.runs}
    groups = []
    for run in sorted(exp.runs, key=lambda r: (-(r.start_time or 0), r.run_id)):
        parent = rel[run.run_id][0]
        if parent is not None and parent.run_id in ids:
            continue
        group, stack, seen = [], [(run, 0)], set()
        while stack:
            r, depth = stack.pop()
            if r.run_id in seen:
                continue
            seen.add(r.run_id)
            group.append((r, depth))
            stack.extend((c, depth + 1) for c in reversed(rel[r.run_id][1]) if c.run_id in ids)
        groups.append(group)
    return groups
