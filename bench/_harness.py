"""What the benchmarks share: an emulated bootstrapped account, and counting the AWS calls made."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}.items():
    os.environ.setdefault(_key, _value)
os.environ.pop("AWS_ENDPOINT_URL", None)


@contextmanager
def emulated_account() -> Iterator[None]:
    """A fresh in-process emulated account, bootstrapped as `make run` does."""
    from moto import mock_aws

    from chalicelib import aws
    from chalicelib.config import settings
    from chalicelib.services import account
    from local.bootstrap import bootstrap

    for client in (aws.iam, aws.dynamodb, aws.sts):
        client.cache_clear()
    account.forget()
    with mock_aws():
        bootstrap(aws.iam(), aws.dynamodb(), settings(), "123456789012")
        yield


@contextmanager
def counting_calls() -> Iterator[Counter[str]]:
    """Count the AWS calls made through the container's clients, by `Service.Operation`."""
    from chalicelib import aws

    counts: Counter[str] = Counter()

    def record(model: Any, **_: Any) -> None:
        counts[f"{model.service_model.service_id}.{model.name}"] += 1

    clients = [aws.iam(), aws.dynamodb(), aws.sts()]
    for client in clients:
        client.meta.events.register("provide-client-params", record)
    try:
        yield counts
    finally:
        for client in clients:
            client.meta.events.unregister("provide-client-params", record)
