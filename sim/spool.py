"""Orders on disk: a per-run Parquet spool written while the run goes on, and the results
folder's ``orders.parquet`` assembled from the spools.

A run's orders reach :class:`OrderSpool` a block at a time (the model's sink, see
:mod:`sim.recorder`); it appends them as row groups of up to ``ROW_GROUP`` orders, so a run
holds at most one row group of finished orders in memory. :func:`write_orders` copies the
spools' row groups, in the order given (architecture, then replication), into one file:
the same rows, columns and types as ``orders_frame`` of every run concatenated, with a
row group in memory at a time. :func:`read_orders` reads them back (any columns).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.model import orders_frame

ROW_GROUP = 1 << 14  # orders per row group of a spool (larger ones cost memory: Arrow keeps its buffers)


class OrderSpool:
    """The model's sink for one run: blocks of orders appended to a Parquet file."""

    def __init__(self, path: str | os.PathLike, architecture: str, replication: int,
                 row_group: int = ROW_GROUP):
        self.path = Path(path)
        self.architecture = architecture
        self.replication = replication
        self.row_group = row_group
        self.rows = 0
        self._pending: list[dict] = []
        self._pending_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def __call__(self, block: dict) -> None:
        self._pending.append(block)
        self._pending_rows += len(block["order_id"])
        if self._pending_rows >= self.row_group:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        blocks, self._pending = self._pending, []
        self._pending_rows = 0
        if len(blocks) == 1:
            columns = blocks[0]
        else:
            columns = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
        table = self._table(columns)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def _table(self, columns: dict) -> pa.Table:
        """The Arrow table ``pa.Table.from_pandas(orders_frame(...))`` would give, built
        from the arrays directly (a frame of a row group's strings costs far more memory):
        the schema, pandas metadata included, is taken from a one-row frame."""
        if self._schema is None:
            head = orders_frame(self.architecture, self.replication,
                                {k: v[:1] for k, v in columns.items()})
            self._schema = pa.Table.from_pandas(head, preserve_index=False).schema
        n = len(columns["order_id"])
        values = {"architecture": pa.repeat(pa.scalar(self.architecture,
                                                      self._schema.field("architecture").type), n),
                  "replication": np.full(n, self.replication, dtype=np.int64), **columns}
        return pa.Table.from_arrays(
            [pa.array(values[f.name], type=f.type) if not isinstance(values[f.name], pa.Array)
             else values[f.name] for f in self._schema], schema=self._schema)

    def close(self) -> Path:
        """Write what is pending and close the file; its path."""
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.path


def _tables(paths: Sequence[Path]):
    """Every row group of ``paths``, in order, one at a time."""
    for path in paths:
        file = pq.ParquetFile(path)
        for i in range(file.num_row_groups):
            yield file.read_row_group(i)


def write_orders(paths: Sequence[str | os.PathLike], dest: str | os.PathLike) -> int:
    """Concatenate the spools ``paths`` into the Parquet file ``dest``; rows written.

    The schema is the first spool's with rows (else the first spool's): an empty run's
    string columns have no type of their own, as in a concatenation of frames."""
    paths = [Path(p) for p in paths]
    schemas = [pq.ParquetFile(p).schema_arrow for p in paths]
    rows = [pq.ParquetFile(p).metadata.num_rows for p in paths]
    schema = next((s for s, n in zip(schemas, rows) if n), schemas[0] if schemas else None)
    if schema is None:
        raise ValueError("no spools to write")
    written = 0
    with pq.ParquetWriter(dest, schema) as writer:
        for table in _tables([p for p, n in zip(paths, rows) if n]):
            writer.write_table(table)
            written += table.num_rows
        if not written:
            writer.write_table(pq.read_table(paths[0]))
    return written


def read_orders(paths: Sequence[str | os.PathLike], columns: Sequence[str] | None = None,
                architecture: str | None = None) -> pd.DataFrame:
    """The orders of the files ``paths`` (spools or an ``orders.parquet``) as one frame:
    only ``columns`` if given, only ``architecture``'s rows if given."""
    filters = [("architecture", "==", architecture)] if architecture is not None else None
    frames = [pd.read_parquet(p, columns=list(columns) if columns is not None else None,
                              filters=filters)
              for p in paths]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
