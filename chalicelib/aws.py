"""The one place AWS clients are made: lazily, once per warm container, with one botocore Config.

`AWS_ENDPOINT_URL` (read by botocore itself) points every client at the local emulator.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from chalicelib import caches

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_sts import STSClient

# At DEBUG, botocore logs every request's parameters: CreateLoginProfile's Password among them. Whatever
# LOG_LEVEL says, the AWS libraries never log below INFO.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.INFO)

# Standard mode retries throttling and transient 5xx with backoff; short timeouts keep a stuck call from
# eating Slack's 3-second budget or the Lambda's.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=20,
)


@caches.register
@functools.cache
def iam() -> IAMClient:
    """The IAM client of this container."""
    return boto3.client("iam", config=_CONFIG)


@caches.register
@functools.cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client of this container."""
    return boto3.client("dynamodb", config=_CONFIG)


@caches.register
@functools.cache
def sts() -> STSClient:
    """The STS client of this container."""
    return boto3.client("sts", config=_CONFIG)


@caches.register
@functools.cache
def ssm() -> SSMClient:
    """The SSM client of this container (secrets kept in Parameter Store)."""
    return boto3.client("ssm", config=_CONFIG)


@caches.register
@functools.cache
def kms() -> KMSClient:
    """The KMS client of this container (the audit resolves which key protects each secret)."""
    return boto3.client("kms", config=_CONFIG)


@caches.register
@functools.cache
def lambda_() -> LambdaClient:
    """The Lambda client of this container (the Slack channel hands slow work to its worker function)."""
    return boto3.client("lambda", config=_CONFIG)


@caches.register
@functools.cache
def scheduler() -> EventBridgeSchedulerClient:
    """The EventBridge Scheduler client of this container (the schedules that end elevation grants)."""
    return boto3.client("scheduler", config=_CONFIG)
