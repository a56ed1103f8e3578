"""Run the stack's named Athena queries (Trino SQL) in DuckDB over gzip JSON-lines files.

The Glue table's own columns type the read, so a query that names a column the table lacks,
or uses a type the records do not have, fails here as it would in Athena.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import duckdb
import sqlglot

from stop_recorder.schema import split_type_params

_SCALARS = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN",
            "timestamp": "TIMESTAMP", "date": "DATE", "float": "FLOAT", "smallint": "SMALLINT", "tinyint": "TINYINT"}


def duckdb_type(glue_type: str) -> str:
    """Translate a Hive/Glue column type (struct, array, map included) to DuckDB's syntax."""
    glue_type = glue_type.strip()
    lowered = glue_type.lower()
    if lowered in _SCALARS:
        return _SCALARS[lowered]
    if lowered.startswith("array<"):
        return duckdb_type(glue_type[6:-1]) + "[]"
    if lowered.startswith("map<"):
        key, value = split_type_params(glue_type[4:-1])
        return f"MAP({duckdb_type(key)}, {duckdb_type(value)})"
    if lowered.startswith("struct<"):
        fields = []
        for part in split_type_params(glue_type[7:-1]):
            name, _, kind = part.partition(":")
            fields.append(f'"{name.strip()}" {duckdb_type(kind)}')
        return f"STRUCT({', '.join(fields)})"
    raise ValueError(f"unsupported Glue type: {glue_type}")


def transpile(sql: str) -> str:
    """Trino (Athena engine v3) to DuckDB."""
    return sqlglot.transpile(sql, read="trino", write="duckdb")[0]


class LocalAthena:
    """A DuckDB connection with the Glue table as a view over local partition folders."""

    def __init__(self, *, database: str, table: str, columns: Iterable[tuple[str, str]], root: Path) -> None:
        self.connection = duckdb.connect()
        self.database, self.table = database, table
        spec = ", ".join(f"'{name}': '{duckdb_type(kind)}'" for name, kind in columns)
        pattern = str(root / "dt=*" / "*.gz")
        files = list(root.glob("dt=*/*.gz"))
        self.connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
        if files:
            self.connection.execute(
                f'CREATE VIEW "{database}"."{table}" AS SELECT * FROM read_json(\'{pattern}\', format=\'newline_delimited\', '
                f"compression='gzip', columns={{{spec}}}, hive_partitioning=true, hive_types={{'dt': 'VARCHAR'}})")
        else:  # an empty archive still has a table, as in Glue
            column_sql = ", ".join(f'"{name}" {duckdb_type(kind)}' for name, kind in columns)
            self.connection.execute(f'CREATE TABLE "{database}"."{table}" ({column_sql}, dt VARCHAR)')

    def add_table(self, table: str, columns: Iterable[tuple[str, str]], root: Path, *, pattern: str = "*.json",
                  compression: str = "none") -> None:
        """Another Glue table of the same database (e.g. stop_diagnoses) over its own partition folders."""
        spec = ", ".join(f"'{name}': '{duckdb_type(kind)}'" for name, kind in columns)
        if list(root.glob(f"dt=*/{pattern}")):
            self.connection.execute(
                f'CREATE VIEW "{self.database}"."{table}" AS SELECT * FROM read_json(\'{root / "dt=*" / pattern}\', '
                f"format='newline_delimited', compression='{compression}', columns={{{spec}}}, hive_partitioning=true, "
                f"hive_types={{'dt': 'VARCHAR'}})")
        else:
            column_sql = ", ".join(f'"{name}" {duckdb_type(kind)}' for name, kind in columns)
            self.connection.execute(f'CREATE TABLE "{self.database}"."{table}" ({column_sql}, dt VARCHAR)')

    def run(self, trino_sql: str) -> tuple[list[str], list[tuple]]:
        """Run one named query; return column names and rows."""
        cursor = self.connection.execute(transpile(trino_sql))
        return [d[0] for d in cursor.description], cursor.fetchall()


def qualified_name(sql: str) -> tuple[str, str] | None:
    """The "database"."table" a named query reads."""
    found = re.search(r'"([\w]+)"\."([\w]+)"', sql)
    return (found.group(1), found.group(2)) if found else None
