"""`scripts/admin`: administration commands.

- `register-operations FILE`: register a frontend build's persisted documents with a
  running API (the audited `registerPersistedOperations` mutation). FILE is
  graphql-codegen's `persisted-documents.json` (`{"sha256:<hex>": "<document>"}`). The API
  is `--url` (default: http://HOST:PORT/graphql from the settings); the admin's bearer
  token is `--token` or `$ADMIN_TOKEN`, and in development one is minted for the seeded
  `admin` account.
- `import-areas FILE`, `import-schools FILE`: load a GB/T 2260 list or the national school
  list (CSV or XLSX) into the configured database (scripts/admin_lists.py).
- `create-admin`: the first admin, from ADMIN_LOGIN and ADMIN_NAME (scripts/admin_accounts.py).

The last three write to the configured database (MONGODB_URI, or the running `serve`'s)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from datetime import date
from typing import Any

from api.auth import mint_token
from api.settings import Settings
from scripts.admin_accounts import create_admin
from scripts.admin_db import database_settings
from scripts.admin_lists import COMMANDS, import_list

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
    for name, what in (("import-areas", "a GB/T 2260 list (code, name)"), ("import-schools", "the national school list")):
        listing = commands.add_parser(name, help=f"load {what} from CSV or XLSX")
        listing.add_argument("file", type=Path)
        listing.add_argument("--effective-on", type=date.fromisoformat, default=date.today(), help="ISO date (default: today)")
        listing.add_argument("--source", help="which list this is (default: the file's name and SHA-256)")
        listing.add_argument("--report", type=Path, help="write every row's outcome to this XLSX file")
    commands.add_parser("create-admin", help="create the first admin from ADMIN_LOGIN and ADMIN_NAME")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "create-admin":
        return asyncio.run(create_admin(database_settings(settings)))
    if args.command in COMMANDS:
        try:
            return asyncio.run(
                import_list(
                    database_settings(settings), args.command, args.file,
                    effective_on=args.effective_on, source=args.source, report_to=args.report,
                )
            )
        except OSError as e:
            print(f"scripts/admin: {e}", file=sys.stderr)
            return 1
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
