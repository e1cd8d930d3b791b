#!/usr/bin/env bash
# The GraphQL checks ./scripts/test runs after mypy: the schema linter, the breaking-change
# check against the base version, and graphql-codegen + tsc over the README's operations.
# Installs the pinned toolchain (package-lock.json) with `npm ci` when node_modules does
# not match the lock file. Every check runs; the exit status is 1 when any failed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "graphql checks: node (20+) and npm are required" >&2
  exit 1
fi
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  started=$SECONDS
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
  echo "graphql checks: npm ci in $((SECONDS - started)) s" >&2
fi

failed=()
run() {
  local name=$1 started=$SECONDS out
  shift
  if out=$("$@" 2>&1); then
    echo "graphql checks: $name ok ($((SECONDS - started)) s)" >&2
  else
    local lines
    lines=$(printf '%s\n' "$out" | wc -l)
    printf '%s\n' "$out" | head -n 80 >&2 || true
    if [ "$lines" -gt 80 ]; then
      echo "... $((lines - 80)) more lines; findings by rule:" >&2
      printf '%s\n' "$out" | grep -o '([a-z-]*)$' | sort | uniq -c | sort -rn >&2 || true
    fi
    echo "graphql checks: $name FAILED" >&2
    failed+=("$name")
  fi
}
bin=node_modules/.bin
run "schema lint (graphql-schema-linter, .graphql-schema-linterrc)" "$bin/graphql-schema-linter" --format compact
run "breaking changes (SCHEMA_CHANGELOG.md rule)" node breaking.mjs
run "README operations extracted" node extract-operations.mjs
run "README operations valid against the schema (graphql-codegen)" "$bin/graphql-codegen" --config codegen.yml
run "generated types compile (tsc --noEmit)" "$bin/tsc" -p tsconfig.json
if [ ${#failed[@]} -gt 0 ]; then
  echo "graphql checks failed: ${failed[*]}" >&2
  exit 1
fi
