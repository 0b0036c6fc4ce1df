"""An S3-protocol server for tests: moto's standalone server as a real process on loopback,
so the S3 blob store is tested over HTTP with boto3 as in production (no mocks inside the
client). One server per session; each test takes a fresh bucket."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.lifecycle import die_with_parent

from .net import free_port, wait_until_up

__all__ = ["CREDENTIALS", "MotoS3", "moto_s3"]

REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    # No instance-metadata lookups, no ~/.aws files: only what is set here counts.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}
"""What boto3 reads from the environment; the worker processes of a test get the same."""


@dataclass
class MotoS3:
    url: str
    log: Path

    def client(self) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing"
        ).client("s3", endpoint_url=self.url, region_name=REGION)

    def create_bucket(self) -> str:
        name = f"dc-test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, **extra: Any) -> dict[str, Any]:
        """``Settings`` overrides for a blob store in ``bucket`` on this server."""
        return {
            "blob_backend": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": self.url,
            "s3_region": REGION,
            **extra,
        }

    def env(self, bucket: str, **extra: str) -> dict[str, str]:
        """The same as environment variables, credentials included, for worker processes."""
        settings = {f"DREAMCHAT_{k.upper()}": str(v) for k, v in self.settings(bucket).items()}
        return {**CREDENTIALS, **settings, **extra}


@contextmanager
def moto_s3(workdir: Path, timeout: float = 180) -> Iterator[MotoS3]:
    """Start the server on a free loopback port; stop it on the way out, whatever happened
    (and the kernel stops it if this process dies first)."""
    port = free_port()
    log = workdir / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGKILL),  # even if pytest itself is killed
        )
    try:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{url}/moto-api/", process, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log.read_text(errors='replace')[-3000:]}") from None
        yield MotoS3(url, log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
