"""Query: a Glue table over the archive with partition projection, an Athena workgroup and named queries."""

from __future__ import annotations

import re
from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stop_recorder.schema import FIELDS

from .archive import secure_bucket

QUERY_DIR = Path(__file__).resolve().parent / "queries"
TABLE_NAME = "stopped_tasks"
DIAGNOSIS_TABLE = "stop_diagnoses"
PROJECTION_START = "2024-01-01"


def load_queries() -> list[tuple[str, str, str]]:
    """(name, description, sql with a {table} placeholder) for each file in stacks/queries."""
    queries = []
    for path in sorted(QUERY_DIR.glob("*.sql")):
        text = path.read_text()
        name = re.search(r"^-- name: (.+)$", text, re.MULTILINE).group(1).strip()
        description = re.search(r"^-- description: (.+)$", text, re.MULTILINE).group(1).strip()
        sql = "\n".join(line for line in text.splitlines() if not line.startswith("-- ")).strip()
        queries.append((name, description, sql))
    return queries


class Query(Construct):
    """Everything Athena needs; no crawler and no MSCK, thanks to partition projection on dt."""

    def __init__(self, scope: Construct, id_: str, *, archive: s3.IBucket, access_logs: s3.IBucket,
                 bytes_scanned_cutoff_mb: int) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.database_name = re.sub(r"[^a-z0-9_]", "_", stack.stack_name.lower())
        location = f"s3://{archive.bucket_name}/stopped-tasks/"
        database = glue.CfnDatabase(self, "Database", catalog_id=stack.account, database_input=glue.CfnDatabase.DatabaseInputProperty(
            name=self.database_name, description="stop-recorder: stopped ECS tasks"))
        self.table = glue.CfnTable(
            self, "Table", catalog_id=stack.account, database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=TABLE_NAME,
                description="One enriched record per stopped ECS task (gzip JSON lines written by Firehose)",
                table_type="EXTERNAL_TABLE",
                partition_keys=[glue.CfnTable.ColumnProperty(name="dt", type="string", comment="Delivery day, yyyy-MM-dd (UTC)")],
                parameters={
                    "classification": "json",
                    "compressionType": "gzip",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"{PROJECTION_START},NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": location + "dt=${dt}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        # Athena recommends the Hive JSON SerDe: OpenX results can be non-deterministic.
                        serialization_library="org.apache.hive.hcatalog.data.JsonSerDe",
                        parameters={"serialization.format": "1"},
                    ),
                    columns=[glue.CfnTable.ColumnProperty(name=f.name, type=f.glue_type, comment=f.description[:255])
                             for f in FIELDS],
                ),
            ),
        )
        self.table.node.add_dependency(database)
        self.results = secure_bucket(self, "Results", expire_days=30, access_logs=access_logs, versioned=False)
        self.workgroup_name = f"{stack.stack_name}-stop-recorder"
        self.workgroup = athena.CfnWorkGroup(
            self, "WorkGroup", name=self.workgroup_name, recursive_delete_option=True,
            description="stop-recorder: queries over the stopped-task archive",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff_mb * 1024 * 1024,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results.bucket_name}/results/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3"),
                ),
            ),
        )
        qualified = f'"{self.database_name}"."{TABLE_NAME}"'
        diagnoses = f'"{self.database_name}"."{DIAGNOSIS_TABLE}"'  # created by stacks/diagnosis.py
        for name, description, sql in load_queries():
            athena.CfnNamedQuery(self, f"Query{_camel(name)}", database=self.database_name, name=name,
                                         description=description, query_string=sql.replace("{table}", qualified).replace("{diagnoses}", diagnoses),
                                         work_group=self.workgroup.ref)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]", name) if part)
