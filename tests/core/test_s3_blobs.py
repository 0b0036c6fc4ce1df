"""What only the S3 backend has to get right, against moto's S3 server on loopback: key
prefixes shared in one bucket, objects that are no keys of ours, paging, and errors."""

from __future__ import annotations

import pytest

import core.blobs
from core.blobs import S3BlobStore
from core.errors import Unavailable
from tests.s3 import REGION, MotoS3


def store(server: MotoS3, bucket: str, **options) -> S3BlobStore:
    return S3BlobStore(bucket, endpoint_url=server.url, region=REGION, **options)


def test_deployments_share_a_bucket_under_their_prefixes(s3_server, s3_bucket) -> None:
    eu, us = store(s3_server, s3_bucket, prefix="eu/prod"), store(s3_server, s3_bucket, prefix="us")
    eu.put("ten_a/alice/images/img_1.png", b"eu")
    us.put("ten_a/alice/images/img_1.png", b"us")
    assert eu.get("ten_a/alice/images/img_1.png") == b"eu"
    assert eu.list_prefix("") == ["ten_a/alice/images/img_1.png"]
    assert eu.delete_prefix("ten_a") == 1
    assert us.get("ten_a/alice/images/img_1.png") == b"us"
    names = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert names == ["us/ten_a/alice/images/img_1.png"]


def test_objects_that_are_no_keys_are_not_listed_but_are_deleted(s3_server, s3_bucket) -> None:
    """A console's "folder/" marker or a stray name must not surface as a key (it could not
    be read back through the key rules), yet deleting a user must leave nothing."""
    blobs = store(s3_server, s3_bucket)
    blobs.put("ten_a/alice/uploads/upl_1.png", b"x")
    client = s3_server.client()
    for name in ("ten_a/alice/uploads/", "ten_a/alice/.hidden", "ten_a/alice/a b"):
        client.put_object(Bucket=s3_bucket, Key=name, Body=b"")
    assert blobs.list_prefix("ten_a") == ["ten_a/alice/uploads/upl_1.png"]
    assert blobs.delete_prefix("ten_a/alice") == 4
    assert client.list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []


def test_listing_and_deleting_page_through_many_keys(s3_server, s3_bucket, monkeypatch) -> None:
    blobs = store(s3_server, s3_bucket)
    monkeypatch.setattr(core.blobs, "_DELETE_BATCH", 3)  # pages of 3 instead of 1000
    keys = [f"t/u/images/img_{i:02d}.png" for i in range(8)]
    for key in keys:
        blobs.put(key, b"x")
    assert blobs.list_prefix("t/u") == keys
    assert blobs.delete_prefix("t/u") == 8 and blobs.list_prefix("") == []


def test_a_missing_bucket_makes_the_store_unavailable(s3_server) -> None:
    blobs = store(s3_server, "no-such-bucket")
    for call in (lambda: blobs.put("a/b", b"x"), lambda: blobs.list_prefix("a")):
        with pytest.raises(Unavailable) as exc:
            call()
        assert exc.value.code == "blob_store_unavailable"
        assert exc.value.details["reason"] == "NoSuchBucket"


def test_an_unreachable_server_makes_the_store_unavailable(s3_server) -> None:
    """(``s3_server`` only for the credentials it puts in the environment.)"""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url="http://127.0.0.1:9",  # discard: nothing listens there
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    blobs = S3BlobStore("dc-test", client=client)
    with pytest.raises(Unavailable) as exc:
        blobs.get("a/b")
    assert exc.value.code == "blob_store_unavailable"
    assert exc.value.details["reason"] == "EndpointConnectionError"
