"""The development explorer over HTTP: a page that loads only same-origin files under a
Content-Security-Policy that forbids any other origin, its pinned assets served as
fetched, a page that says how to fetch them when they are missing, and a token for a demo
account only in development (tests/browser/ drives the page in Chromium)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.explorer.assets import Manifest, default_cache_dir
from api.explorer.page import Explorer, NotDevelopment, demo_token
from api.settings import Settings
from storage.demo import ACCOUNTS
from tests.production import production_settings
from tests.support import ApiServer

MANIFEST = Manifest.load()
ASSETS = {a.name: a for a in MANIFEST.assets}
PAGE = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def dev(settings: Settings) -> Iterator[httpx.Client]:
    server = ApiServer(settings.replace(app_env="development")).start(seed=False)
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client
    server.stop()


def page_config(page: httpx.Response) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="explorer-config">(.*?)</script>', page.text, re.S)
    assert match, page.text
    config: dict[str, object] = json.loads(match.group(1))
    return config


def test_the_page_loads_only_same_origin_files(dev: httpx.Client) -> None:
    page = dev.get("/graphql", headers=PAGE)
    assert page.status_code == 200, page.text[:2000]
    policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert policy["img-src"] == policy["font-src"] == "'self' data:"
    assert not re.search(r"https?:|//", page.headers["content-security-policy"])
    urls = re.findall(r'(?:src|href|action)="([^"]*)"', page.text)
    assert urls and all(url.startswith("/") and not url.startswith("//") or url == "data:," for url in urls), urls
    assert "unpkg" not in page.text and "https://" not in page.text
    served = [url for url in urls if url.startswith("/graphql/assets/")]
    assert {url.rsplit("/", 1)[1] for url in served} == {a.name for a in MANIFEST.assets} | {"explorer.js", "explorer.css"}
    for url in served:
        response = dev.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/javascript" if url.endswith(".js") else "text/css")
    for asset in MANIFEST.assets:
        body = dev.get(f"/graphql/assets/{asset.name}").content
        assert hashlib.sha256(body).hexdigest() == asset.sha256, asset.name


def test_assets_are_revalidated_by_their_hash(dev: httpx.Client) -> None:
    first = dev.get("/graphql/assets/graphiql.min.js")
    assert first.headers["etag"] == f'"{ASSETS["graphiql.min.js"].sha256}"'
    again = dev.get("/graphql/assets/graphiql.min.js", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert dev.get("/graphql/assets/..%2Fassets.json").status_code == 404
    assert dev.get("/graphql/assets/nothing.js").status_code == 404


def test_as_opens_the_page_signed_in_as_a_demo_account(dev: httpx.Client) -> None:
    page = dev.get("/graphql", params={"as": "jinshui.dept"}, headers=PAGE)
    assert page.status_code == 200
    config = page_config(page)
    assert config["login"] == "jinshui.dept" and isinstance(config["token"], str)
    assert '<option value="jinshui.dept" selected>' in page.text
    answer = dev.post(
        "/graphql", json={"query": "{ viewer { login } }"}, headers={"Authorization": f"Bearer {config['token']}"}
    )
    assert answer.json() == {"data": {"viewer": {"login": "jinshui.dept"}}}


def test_the_picker_lists_every_demo_account_and_mints_nothing_unasked(dev: httpx.Client) -> None:
    page = dev.get("/graphql", headers=PAGE)
    assert page_config(page)["token"] is None
    assert set(re.findall(r'<option value="([^"]+)"', page.text)) == {a.login for a in ACCOUNTS}
    unknown = dev.get("/graphql", params={"as": "nobody"}, headers=PAGE)
    assert unknown.status_code == 400 and page_config(unknown)["token"] is None
    assert "not a demo account" in unknown.text


def test_no_token_for_a_page_asked_for_under_another_name_and_none_is_cached(dev: httpx.Client) -> None:
    """A site re-pointed at 127.0.0.1 (DNS rebinding) sends its own Host: no token for it."""
    rebound = dev.get("/graphql", params={"as": "henan.dept"}, headers={**PAGE, "Host": "attacker.example:8000"})
    assert rebound.status_code == 403 and page_config(rebound)["token"] is None
    signed_in = dev.get("/graphql", params={"as": "henan.dept"}, headers=PAGE)
    assert page_config(signed_in)["token"] and signed_in.headers["cache-control"] == "no-store"


def test_the_parameter_authenticates_no_request(dev: httpx.Client) -> None:
    answer = dev.post("/graphql?as=admin", json={"query": "{ viewer { login } }"})
    assert answer.status_code == 401


def test_no_explorer_and_no_token_outside_development(http: httpx.Client, settings: Settings) -> None:
    servers = [ApiServer(production_settings(settings)).start(seed=False)]
    try:
        clients = [http, httpx.Client(base_url=servers[0].base_url, timeout=30)]
        for client in clients:
            page = client.get("/graphql", params={"as": "jinshui.dept"}, headers=PAGE)
            assert page.status_code == 401 and "eyJ" not in page.text
            assert client.get("/graphql/assets/graphiql.min.js").status_code == 404
            assert client.get("/graphql/assets/explorer.js").status_code == 404
        clients[1].close()
    finally:
        servers[0].stop()
    for env in (settings, production_settings(settings)):
        with pytest.raises(NotDevelopment):
            demo_token(env, "jinshui.dept")
        with pytest.raises(NotDevelopment):
            Explorer(env)


def cached_assets() -> Path:
    directory = default_cache_dir()
    if not all(a.cached(directory).exists() for a in MANIFEST.assets):
        pytest.fail(f"the explorer's assets are not in {directory}: run ./scripts/lib/bootstrap.sh")
    return directory


def test_missing_or_altered_assets_get_a_page_that_says_how_to_fetch_them(settings: Settings, tmp_path: Path) -> None:
    shutil.copytree(cached_assets(), tmp_path / "assets")
    altered = ASSETS["graphiql.min.css"].cached(tmp_path / "assets")
    altered.write_bytes(altered.read_bytes() + b"/* altered */")
    for directory, says in [(tmp_path / "empty", "is missing"), (tmp_path / "assets", "differs from its pinned SHA-256")]:
        server = ApiServer(settings.replace(app_env="development", explorer_assets_dir=directory)).start(seed=False)
        try:
            page = httpx.get(server.base_url + "/graphql", headers=PAGE)
            assert page.status_code == 503
            assert "./scripts/lib/bootstrap.sh" in page.text and str(directory) in page.text and says in page.text
            assert page.headers["content-security-policy"].startswith("default-src 'none'")
            assert httpx.get(server.base_url + "/graphql/assets/graphiql.min.css").status_code == 503
        finally:
            server.stop()
