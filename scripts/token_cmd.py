"""`scripts/token`: list the seeded accounts, or mint a bearer token for a login (a seeded
account, or one created since, e.g. by `scripts/admin create-admin`) with the configured
signing key: the development secret, JWT_SECRET, or JWT_PRIVATE_KEY for RS256/ES256. The
API accepts it only while that account exists and is enabled."""

from __future__ import annotations

import argparse
import sys

from api.auth import mint_token
from api.settings import Settings
from domain.accounts import Account, Role
from domain.errors import DomainError
from storage.demo import ACCOUNTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/token", description=__doc__)
    parser.add_argument("login", nargs="?", help="the account to mint a token for")
    parser.add_argument("--list", action="store_true", help="print the seeded accounts")
    args = parser.parse_args(argv)
    if args.list or not args.login:
        width = max(len(a.login) for a in ACCOUNTS)
        for a in ACCOUNTS:
            trained = "" if a.role.value != "SCHOOL_REGISTRAR" else ("  trained" if a.trained else "  NOT TRAINED")
            print(f"{a.login:<{width}}  {a.role.value:<20} {a.scope_code or '-':<10}  {a.name}{trained}")
        return 0
    try:
        Account(args.login, "-", Role.ADMIN, None)  # the login's form only
    except DomainError as e:
        print(f"{args.login!r}: {e.message}; see --list", file=sys.stderr)
        return 2
    settings = Settings()
    if settings.is_development:
        settings = settings.with_jwt_secret_from_data_dir()
    print(mint_token(settings, args.login))
    return 0


if __name__ == "__main__":
    sys.exit(main())
