"""Evidence gathering for the alert Lambda: read-only IAM in this account, the role it may assume in
others (central mode), where diagnosis records go, and the settings the handler reads."""

from __future__ import annotations

from aws_cdk import Stack, Token
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stop_recorder.diagnosis import ROLE_NAME_PREFIX
from stop_recorder.diagnosis.schema import DIAGNOSIS_COLUMNS

from .config import RecorderConfig
from .nag import acknowledge
from .query import DIAGNOSIS_TABLE, PROJECTION_START, Query

# IAM resource formats: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
# and .../list_amazonelasticcontainerregistry.html; ECS DescribeTaskDefinition has none (Resource "*"):
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
ECR_READ_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def nag_env(stack: Stack) -> str:
    """Region and account as cdk-nag prints them in a finding: literal when the stack has an env, else the pseudo-parameter."""
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    return f"{region}:{account}"


def diagnosis_table(scope: Construct, query: Query, archive: s3.IBucket) -> glue.CfnTable:
    """stop_diagnoses: the diagnosis objects under diagnoses/dt=…/, joined to stopped_tasks on task_arn and task_version."""
    stack = Stack.of(scope)
    location = f"s3://{archive.bucket_name}/diagnoses/"
    table = glue.CfnTable(
        scope, "Table", catalog_id=stack.account, database_name=query.database_name,
        table_input=glue.CfnTable.TableInputProperty(
            name=DIAGNOSIS_TABLE, table_type="EXTERNAL_TABLE",
            description="One diagnosis per stop the alert Lambda gathered evidence for (JSON objects)",
            partition_keys=[glue.CfnTable.ColumnProperty(name="dt", type="string", comment="Diagnosis day, yyyy-MM-dd (UTC)")],
            parameters={"classification": "json", "projection.enabled": "true", "projection.dt.type": "date",
                        "projection.dt.format": "yyyy-MM-dd", "projection.dt.range": f"{PROJECTION_START},NOW",
                        "projection.dt.interval": "1", "projection.dt.interval.unit": "DAYS",
                        "storage.location.template": location + "dt=${dt}/"},
            storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                location=location, input_format="org.apache.hadoop.mapred.TextInputFormat",
                output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library="org.apache.hive.hcatalog.data.JsonSerDe",
                                                           parameters={"serialization.format": "1"}),
                columns=[glue.CfnTable.ColumnProperty(name=n, type=t, comment=d[:255]) for n, t, d in DIAGNOSIS_COLUMNS])))
    table.add_dependency(query.table)  # same database, created with the stop table
    return table


def log_group_arns(partition: str, region: str, account: str, patterns: tuple[str, ...]) -> list[str]:
    """logs:GetLogEvents acts on log streams: arn:…:log-group:<group>:log-stream:<stream>."""
    return [f"arn:{partition}:logs:{region}:{account}:log-group:{p}:log-stream:*" for p in patterns]


class Diagnosis(Construct):
    """Grants the alert function read-only evidence access and passes it its diagnosis settings."""

    def __init__(self, scope: Construct, id_: str, *, config: RecorderConfig, function: lambda_.Function,
                 archive: s3.IBucket, query: Query) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.table = diagnosis_table(self, query, archive)
        function.add_environment("LOG_TAIL_LINES", str(config.log_tail_lines))
        function.add_environment("DIAGNOSIS_BUDGET_MS", str(config.diagnosis_budget_ms))
        function.add_environment("DIAGNOSIS_ROLE", str(config.diagnosis_role).lower())
        function.add_environment("RECORDER_ACCOUNT", stack.account)
        function.add_environment("DIAGNOSIS_BUCKET", archive.bucket_name)
        if config.diagnosis_budget_ms == 0:
            return  # evidence gathering is off: no read permissions at all
        # ecs:DescribeTaskDefinition is already granted (Resource "*", acknowledged) for the log link.
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["logs:GetLogEvents"],
            resources=log_group_arns(stack.partition, stack.region, stack.account, config.diagnosis_log_groups)))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=ECR_READ_ACTIONS, resources=[f"arn:{stack.partition}:ecr:{stack.region}:{stack.account}:repository/*"]))
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"],
                                                        resources=[archive.arn_for_objects("diagnoses/*")]))
        findings = [f"Resource::arn:<AWS::Partition>:ecr:{nag_env(stack)}:repository/*",
                    *(f"Resource::arn:<AWS::Partition>:logs:{nag_env(stack)}:log-group:{p}:log-stream:*"
                      for p in config.diagnosis_log_groups),
                    "Resource::<ArchiveBucket49F1AC64.Arn>/diagnoses/*"]
        if config.diagnosis_role:
            function.add_to_role_policy(iam.PolicyStatement(
                actions=["sts:AssumeRole"], resources=[f"arn:{stack.partition}:iam::*:role/{ROLE_NAME_PREFIX}*"]))
            findings.append(f"Resource::arn:<AWS::Partition>:iam::*:role/{ROLE_NAME_PREFIX}*")
        acknowledge(function.role, "IAM5", "Evidence is read-only: the last lines of the culprit container's stream "
                    "(log streams are named per task, so only a group pattern can be granted, scoped by "
                    "diagnosisLogGroups), the image manifest and config blob of this account's ECR repositories (any "
                    "task may use any repository), diagnosis objects under the archive's diagnoses/ prefix, and in "
                    "central mode the regional read-only stop-recorder-diagnosis-* role in member accounts.", *findings)
