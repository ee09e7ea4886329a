"""Trade studies: one mission's variants run through the pipeline on a Dask cluster.

    from lunarscope.sweep import Sweep
    sweep = Sweep.from_yaml("examples/sweep-elfo.yaml")
    cases = sweep.cases()                  # resolved and validated, before any work
    table = sweep.run()                    # pandas DataFrame, one row per case

``docs/sweep.md`` documents the sweep file, the metrics and the execution.
"""

from __future__ import annotations

import os

from .spec import Case, SweepSpec, load_sweep, sweep_from_dict

__all__ = ["Sweep", "Case", "SweepSpec", "load_sweep", "sweep_from_dict"]


class Sweep:
    """A sweep: its spec (:class:`SweepSpec`), its validated cases and the table columns."""

    def __init__(self, spec: SweepSpec):
        self.spec = spec
        self._cases = None
        self._types = None

    @classmethod
    def from_yaml(cls, path: str) -> Sweep:
        """Read the sweep file ``path`` (its ``base`` relative to the file's folder)."""
        return cls(load_sweep(path))

    @classmethod
    def from_dict(cls, raw: dict, base_dir: str = ".") -> Sweep:
        return cls(sweep_from_dict(raw, base_dir))

    def __repr__(self) -> str:
        s = self.spec
        return (
            f"Sweep({s.n_cases()} cases, vary {', '.join(d.path for d in s.dimensions) or 'nothing'}, "
            f"sample {s.sample.method}, stages {', '.join(s.stages)})"
        )

    def cases(self) -> list[Case]:
        """Every case, resolved into a mission dict and validated by the mission reader (an
        InputError names the case index and the key); computed once."""
        if self._cases is None:
            from .metrics import metric_columns
            from .run import column_types
            from .spec import validate_case

            cases = self.spec.cases(validate=False)
            columns: list[str] = []
            for c in cases:
                mission = validate_case(c.mission, self.spec.base_dir, c.index, c.values)
                from .metrics import check_metrics

                check_metrics(self.spec.metrics, self.spec.stages, mission, c.index)
                for col in metric_columns(self.spec.metrics, mission):
                    if col not in columns:
                        columns.append(col)
            self._types = column_types(cases, columns)
            self._cases = cases
        return self._cases

    @property
    def columns(self) -> list[str]:
        """The table's columns, in order."""
        self.cases()
        return list(self._types)

    def run(
        self,
        client=None,
        out: str | None = None,
        *,
        scheduler: str | None = None,
        workers: int | None = None,
        progress=None,
        on_start=None,
        chunk_size: int | None = None,
        as_arrow: bool = False,
        report: bool = True,
    ):
        """Run every case; returns the table (pandas DataFrame, or pyarrow Table with
        ``as_arrow``), one row per case in case order.

        ``client``: an existing ``distributed.Client`` (kept open); else ``scheduler`` (address
        or scheduler file) or a new LocalCluster of ``workers`` processes (closed at the end).
        ``out``: a results folder: rows stream into ``out/cases/*.parquet`` as chunks finish,
        finished cases are skipped on a rerun, and the table is written to ``out/sweep.parquet``.
        ``progress(done, total, errors, elapsed_s, eta_s)``; ``on_start(client)`` once connected.
        With ``out`` and ``report``, the sweep report ``out/sweep.html`` is written too
        (:meth:`report`).
        """
        from .run import TABLE_NAME, done_rows, execute, final_table, open_client, write_atomic

        cases = self.cases()
        if out is not None:
            os.makedirs(out, exist_ok=True)
        done = done_rows(out, cases)
        cluster = None
        own = client is None and len(done) < len(cases)  # nothing left to run: no cluster
        if own:
            client, cluster = open_client(scheduler, workers)
        try:
            if on_start and client is not None:
                on_start(client)
            if client is None:
                rows = done
                if progress:
                    errors = sum(1 for r in done.values() if r.get("status") != "ok")
                    progress(len(done), len(cases), errors, 0.0, None)
            else:
                rows = execute(self.spec, cases, self._types, client, out, progress, chunk_size, done)
        finally:
            if own:
                client.close()
                if cluster is not None:
                    cluster.close()
        table = final_table(cases, self._types, rows)
        if out is not None:
            write_atomic(table, os.path.join(out, TABLE_NAME))
            if report:
                self.report(table.to_pandas(), out)
        return table if as_arrow else table.to_pandas()

    def report(self, table, out: str) -> str:
        """Write the sweep report ``out/sweep.html`` for ``table`` (the DataFrame of :meth:`run`)
        and the best cases' mission files ``out/best/case-<k>.yaml``; returns the report's path."""
        from .report import write_sweep_report

        return write_sweep_report(self.spec, self.cases(), table, out)
