"""`scripts/admin register-operations FILE`: register a frontend build's persisted
documents with a running API (the audited `registerPersistedOperations` mutation).

FILE is graphql-codegen's `persisted-documents.json` (`{"sha256:<hex>": "<document>"}`).
The API is `--url` (default: http://HOST:PORT/graphql from the settings); the admin's
bearer token is `--token` or `$ADMIN_TOKEN`, and in development one is minted for the
seeded `admin` account."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from api.auth import mint_token
from api.settings import Settings

BATCH = 1000
MUTATION = """mutation Register($documents: [PersistedOperationInput!]!) {
  registerPersistedOperations(input: { documents: $documents }) {
    __typename
    ... on RegisterPersistedOperationsSuccess { registered alreadyRegistered }
    ... on RegisterPersistedOperationsError { code field message }
  }
}"""


def load_manifest(path: Path) -> list[dict[str, str]]:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in manifest.items()):
        raise ValueError(f"{path}: expected a JSON object of document id -> document text")
    return [{"hash": k, "document": v} for k, v in manifest.items()]


def post(url: str, token: str, documents: list[dict[str, str]]) -> dict[str, Any]:
    body = json.dumps({"query": MUTATION, "variables": {"documents": documents}}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"HTTP {e.code}: {e.read().decode(errors='replace')[:500]}") from None
    if answer.get("errors"):
        raise RuntimeError(json.dumps(answer["errors"], ensure_ascii=False))
    result: dict[str, Any] = answer["data"]["registerPersistedOperations"]
    return result


def register_operations(path: Path, url: str, token: str) -> int:
    documents = load_manifest(path)
    registered = already = 0
    for start in range(0, len(documents), BATCH):
        result = post(url, token, documents[start : start + BATCH])
        if result["__typename"] != "RegisterPersistedOperationsSuccess":
            field = result["field"] or ""
            if field.startswith("documents["):  # name the entry of the file, not of the batch
                index = int(field[len("documents[") : field.index("]")]) + start
                field = f"{documents[index]['hash']} ({field.split('.', 1)[-1]})"
            print(f"refused: {result['code']} {field}: {result['message']}", file=sys.stderr)
            return 1
        registered += result["registered"]
        already += result["alreadyRegistered"]
    print(f"{path}: {registered} registered, {already} already registered")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("register-operations", help="register a persisted-documents.json")
    register.add_argument("file", type=Path)
    register.add_argument("--url", help="the API's /graphql URL")
    register.add_argument("--token", default=os.environ.get("ADMIN_TOKEN"), help="an admin's bearer token")
    args = parser.parse_args(argv)
    settings = Settings()
    token = args.token
    if not token:
        if not settings.is_development:
            print("give --token or ADMIN_TOKEN (an admin's bearer token)", file=sys.stderr)
            return 2
        token = mint_token(settings.with_jwt_secret_from_data_dir(), "admin")
    url = args.url or f"http://{settings.host}:{settings.port}/graphql"
    try:
        return register_operations(args.file, url, token)
    except (OSError, ValueError, RuntimeError) as e:
        print(f"scripts/admin: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
