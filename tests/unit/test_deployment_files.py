"""compose.yaml and the Dockerfile: the API runs with a least-privilege MinIO user, the
servers restart, the scheduler has no HTTP healthcheck, the API's checks readiness, and the
base image is an exact patch release. Read as text (the project has no YAML parser)."""

from __future__ import annotations

import json
import re

from storage.embedded import API_ACTIONS, PROJECT_ROOT

COMPOSE = (PROJECT_ROOT / "compose.yaml").read_text()
DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text()


def _services() -> dict[str, str]:
    """Each service's block of compose.yaml, by name."""
    body = COMPOSE.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    blocks: dict[str, str] = {}
    name = ""
    for line in body.splitlines():
        if match := re.fullmatch(r"  ([\w-]+):", line):
            name = match.group(1)
            blocks[name] = ""
        elif name:
            blocks[name] += line + "\n"
    return blocks


def _environment_anchor() -> str:
    return COMPOSE.split("x-api-environment: &api-environment\n", 1)[1].split("\n\n", 1)[0]


def test_the_api_uses_its_own_minio_user_and_root_only_sets_up() -> None:
    services = _services()
    environment = _environment_anchor()
    assert "MINIO_ROOT" not in environment  # the API, scheduler and init connect as the API user
    assert re.search(r"S3_ACCESS_KEY: \$\{XUEJI_S3_USER:\?", environment)
    setup = services["minio-setup"]
    assert "mc admin policy create root xueji-api" in setup and "mc admin policy attach root xueji-api" in setup
    policy = json.loads(re.sub(r"\$\$BUCKET", "xueji-evidence", setup.split("<<EOF\n", 1)[1].split("EOF\n", 1)[0]))
    actions = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert not {a for a in actions if "Delete" in a or "Bypass" in a or a.endswith("*")}
    assert actions >= {"s3:PutObject", "s3:GetObject", "s3:PutObjectRetention", "s3:PutObjectLegalHold"}
    assert actions - {"s3:AbortMultipartUpload"} == set(API_ACTIONS)  # the same rights as the embedded store's
    resources = {r for statement in policy["Statement"] for r in statement["Resource"]}
    assert resources == {"arn:aws:s3:::xueji-evidence", "arn:aws:s3:::xueji-evidence/*"}
    init = services["init"]
    assert "S3_ADMIN_ACCESS_KEY: ${MINIO_ROOT_USER" in init and "minio-setup: {condition: service_completed_successfully}" in init
    for name in ("api", "scheduler"):
        assert "S3_ADMIN" not in services[name] and "environment: *api-environment" in services[name]


def test_servers_restart_and_healthchecks_fit_each_service() -> None:
    services = _services()
    for name in ("mongodb", "minio", "api", "scheduler"):
        assert "restart: unless-stopped" in services[name], name
    assert re.search(r"healthcheck:\n\s+disable: true", services["scheduler"])
    assert "/readyz" in services["api"] and "/healthz" not in services["api"]
    assert "/readyz" in DOCKERFILE.split("HEALTHCHECK", 1)[1].splitlines()[0]


def test_the_base_image_is_an_exact_patch_release() -> None:
    base = re.search(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert base is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base.group(1)), base.group(1)
