"""What LeRobot's own readers need from our parquet files beyond the columns themselves.

LeRobot (0.4.x) reads `meta/tasks.parquet` with pandas and takes a frame's task text from the row
label: `tasks.iloc[task_index].name`. The file must therefore hold the task strings as a pandas index,
which pyarrow stores as the column `__index_level_0__` plus a `pandas` schema-metadata entry naming
it. We write that entry by hand, so neither the writer nor the reader needs pandas.

LeRobot reads the frame files with HF `datasets`, which takes column types from the `huggingface`
schema-metadata entry when present (the one `datasets.Features.arrow_schema` writes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

TASKS_INDEX_COLUMN = "__index_level_0__"  # pandas' name for an unnamed index stored as a column
LEGACY_TASK_COLUMN = "task"  # our layout before issue 20: task_index and task as plain columns

# What `pd.DataFrame({"task_index": ...}, index=tasks).to_parquet(...)` writes with pandas 2.x. pandas 3
# writes "str" as numpy_type (and large_string); every pandas version reads this, older, form.
_TASKS_PANDAS_METADATA = {
    "index_columns": [TASKS_INDEX_COLUMN],
    "column_indexes": [
        {"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
         "metadata": {"encoding": "UTF-8"}},
    ],
    "columns": [
        {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64",
         "metadata": None},
        {"name": None, "field_name": TASKS_INDEX_COLUMN, "pandas_type": "unicode", "numpy_type": "object",
         "metadata": None},
    ],
    "attributes": {},
    "creator": {"library": "pyarrow", "version": pa.__version__},
    "pandas_version": "2.2.3",
}
TASKS_ARROW_SCHEMA = pa.schema(
    [("task_index", pa.int64()), (TASKS_INDEX_COLUMN, pa.string())],
    metadata={"pandas": json.dumps(_TASKS_PANDAS_METADATA)},
)


def tasks_table(tasks: Sequence[str]) -> pa.Table:
    """`meta/tasks.parquet`: one row per task, in task-index order (LeRobot looks rows up by position)."""
    return pa.Table.from_arrays(
        [pa.array(range(len(tasks)), pa.int64()), pa.array(list(tasks), pa.string())], schema=TASKS_ARROW_SCHEMA
    )


def tasks_from_table(table: pa.Table) -> list[str]:
    """Task strings by task index, from our old layout (a `task` column), ours or LeRobot's current one
    (the pandas index column, whatever its stored name). Raises ValueError on anything else."""
    index_columns = _pandas_index_columns(table.schema)
    candidates = [LEGACY_TASK_COLUMN, *index_columns, TASKS_INDEX_COLUMN]
    name = next((n for n in candidates if n in table.column_names), None)
    if name is None or "task_index" not in table.column_names:
        raise ValueError(f"expected a task_index column and the task text (column or pandas index), "
                         f"got columns {table.column_names}")
    pairs = sorted(zip(table.column("task_index").to_pylist(), table.column(name).to_pylist()))
    if [i for i, _ in pairs] != list(range(len(pairs))):
        raise ValueError(f"task indices are not 0..{len(pairs) - 1}")
    return [t for _, t in pairs]


def _pandas_index_columns(schema: pa.Schema) -> list[str]:
    raw = (schema.metadata or {}).get(b"pandas")
    if raw is None:
        return []
    # A RangeIndex is stored as a dict, not a column: it holds no task text.
    return [c for c in json.loads(raw).get("index_columns", []) if isinstance(c, str)]


def hf_features(features: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The `datasets.Features` dict of the parquet columns of a v3 `features` block (videos live in mp4
    files and have no column), as `lerobot.datasets.utils.get_hf_features_from_features` builds it.

    Vectors are written as `Sequence` with a fixed length: datasets 4 (LeRobot 0.4) turns that into its
    `List` (which is what it writes itself); datasets 3 (LeRobot 0.3) only knows `Sequence`."""
    out: dict[str, Any] = {}
    for key, ft in features.items():
        if ft["dtype"] == "video":
            continue
        value = {"dtype": ft["dtype"], "_type": "Value"}
        shape = list(ft["shape"])
        if shape == [1]:
            out[key] = value
        elif len(shape) == 1:
            out[key] = {"feature": value, "length": shape[0], "_type": "Sequence"}
        else:
            raise ValueError(f"feature {key!r}: only scalars and vectors have columns here, got shape {shape}")
    return out


def hf_schema_metadata(features: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The `huggingface` schema-metadata entry of a frame parquet file."""
    return {"huggingface": json.dumps({"info": {"features": hf_features(features)}})}
