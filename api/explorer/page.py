"""The GraphiQL explorer, in development only: GET /graphql from a browser (api/graphql.py)
and its files at /graphql/assets/<name>.

Every URL the page loads is on this origin, and its Content-Security-Policy forbids any
other: the explorer works on a network that reaches nothing but the API. When the assets
are not in the cache dir (api/explorer/assets.py), the page says how to fetch them.

`/graphql?as=<login>` opens the explorer signed in as one of the demo accounts
(storage/demo.py): the page carries a development token for it, which GraphiQL sends with
every request, the schema's introspection included. No token is minted outside
`APP_ENV=development`: `demo_token` refuses, and no other environment builds an Explorer."""

from __future__ import annotations

import asyncio
import html
import json
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api.auth import mint_token
from api.explorer.assets import AssetsMissing, Manifest, default_cache_dir, read_assets
from api.settings import Settings
from domain.accounts import Account
from storage.demo import ACCOUNTS

STATIC = Path(__file__).with_name("static")
OWN_FILES = {"explorer.js": "text/javascript; charset=utf-8", "explorer.css": "text/css; charset=utf-8"}
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The page may carry a token: never stored by a cache or the browser's history cache.
HEADERS = {"content-security-policy": CONTENT_SECURITY_POLICY, "referrer-policy": "no-referrer", "cache-control": "no-store"}
# Tokens are handed out only to a page asked for by a loopback name: a page of another
# site whose name was re-pointed at 127.0.0.1 (DNS rebinding) arrives with its own Host.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_QUERY = "{\n  viewer {\n    login\n    role\n  }\n}\n"


class NotDevelopment(Exception):
    """A development convenience was asked for outside APP_ENV=development."""


def demo_token(settings: Settings, login: str) -> str:
    """A bearer token for a demo account, for the explorer page; only in development."""
    if not settings.is_development:
        raise NotDevelopment("explorer tokens exist only with APP_ENV=development")
    if login not in {a.login for a in ACCOUNTS}:
        raise ValueError(f"{login!r} is not a demo account")
    return mint_token(settings, login)


def account_label(account: Account) -> str:
    return " · ".join(part for part in (account.login, account.role.value, account.scope_code, account.name) if part)


def script_json(value: object) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Explorer:
    def __init__(self, settings: Settings) -> None:
        if not settings.is_development:
            raise NotDevelopment("the explorer is served only with APP_ENV=development")
        self.settings = settings
        self.manifest = Manifest.load()
        self.directory = settings.explorer_assets_dir or default_cache_dir()
        self.assets: dict[str, bytes] | None = None
        self.etags: dict[str, str] = {a.name: f'"{a.sha256}"' for a in self.manifest.assets}
        self.own = {name: (STATIC / name).read_bytes() for name in OWN_FILES}
        self.template = Template((STATIC / "page.html").read_text())
        self.missing_template = Template((STATIC / "missing.html").read_text())

    async def checked_assets(self) -> dict[str, bytes]:
        """The assets, read and checked once they are all there (until then, on each call)."""
        if self.assets is None:
            self.assets = await asyncio.to_thread(read_assets, self.manifest, self.directory)
        return self.assets

    async def page(self, request: Request) -> Response:
        try:
            await self.checked_assets()
        except AssetsMissing as missing:
            return self.missing_page(missing)
        login = request.query_params.get("as") or None
        notice = ""
        token = None
        status = 200
        if login is not None and request.url.hostname not in LOOPBACK_HOSTS:
            notice, status, login = "Demo tokens are handed out only at http://127.0.0.1 or http://localhost.", 403, None
        if login is not None:
            try:
                token = demo_token(self.settings, login)
            except ValueError:
                notice, status, login = f"{login!r} is not a demo account; choose one of the list.", 400, None
            except RuntimeError as e:  # RS256/ES256 without a private key: no token can be minted here
                notice, status, login = f"No demo token: {e}. Paste a token under Headers.", 200, None
        else:
            notice = "Choose a demo account to open the explorer signed in, or paste a token under Headers."
        options = [f'<option value=""{"" if login else " selected"}>— no account —</option>']
        options += [
            f'<option value="{html.escape(a.login)}"{" selected" if a.login == login else ""}>{html.escape(account_label(a))}</option>'
            for a in ACCOUNTS
        ]
        body = self.template.substitute(
            options="\n          ".join(options),
            notice=html.escape(notice),
            config=script_json({"endpoint": "/graphql", "login": login, "token": token, "defaultQuery": DEFAULT_QUERY}),
        )
        return HTMLResponse(body, status_code=status, headers=HEADERS)

    def missing_page(self, missing: AssetsMissing) -> Response:
        items = "\n      ".join(f"<li>{html.escape(p)}</li>" for p in missing.problems)
        body = self.missing_template.substitute(problems=items, directory=html.escape(str(missing.directory)))
        return HTMLResponse(body, status_code=503, headers=HEADERS)

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name in self.own:
            return Response(self.own[name], media_type=OWN_FILES[name], headers=HEADERS)
        asset = next((a for a in self.manifest.assets if a.name == name), None)
        if asset is None:
            return Response("not found", status_code=404, media_type="text/plain", headers=HEADERS)
        try:
            content = (await self.checked_assets())[name]
        except AssetsMissing:
            return Response("the explorer's assets are missing; see /graphql", status_code=503, media_type="text/plain", headers=HEADERS)
        etag = self.etags[name]
        headers = {**HEADERS, "etag": etag, "cache-control": "no-cache"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(content, media_type=asset.media_type, headers=headers)
