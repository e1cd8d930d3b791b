"""Request id, access log, headers, error safety net and Prometheus metrics, as one pure
ASGI middleware.

Every log line of a request carries its request id (bound per request in structlog's
contextvars, and cleared after it), the same id the `X-Request-ID` response header
carries. An exception that escapes the app is logged here with its traceback and answered
as JSON (500 INTERNAL_SERVER_ERROR, or 503 DATABASE_UNAVAILABLE when the database did not
answer) in the shape of the endpoint. Every response carries `Cache-Control: no-store` and
`X-Content-Type-Options: nosniff`: most of them hold personal data."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_for, is_database_unavailable

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
KNOWN_ROUTES = frozenset({"/graphql", "/uploads", "/healthz", "/readyz", "/metrics"})
# Label values are bounded: any other method is OTHER, any other path `other`.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SECURITY_HEADERS = (("cache-control", "no-store"), ("x-content-type-options", "nosniff"))

log = structlog.get_logger("http")


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "OTHER"


def route_label(path: str) -> str:
    return path if path in KNOWN_ROUTES else "other"


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route"], registry=registry
        )


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        method = method_label(scope["method"])
        route = route_label(scope["path"])
        status = 500
        started_response = False
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception as e:
                if started_response:
                    log.exception("internal error after the response started")
                    raise
                if is_database_unavailable(e):
                    log.error("database unavailable", error=repr(e))
                    response = error_for(scope["path"], 503, "DATABASE_UNAVAILABLE", "the database is unavailable; try again shortly")
                else:
                    log.exception("internal error")
                    response = error_for(scope["path"], 500, "INTERNAL_SERVER_ERROR", "internal error; quote the request id")
                await response(scope, receive, send_with_headers)
            finally:
                elapsed = time.perf_counter() - started
                self.metrics.requests.labels(method, route, str(status)).inc()
                self.metrics.latency.labels(method, route).observe(elapsed)
                if route != "/metrics":
                    log.info(
                        "request",
                        method=scope["method"][:16],
                        path=scope["path"][:200],
                        status=status,
                        duration_ms=round(elapsed * 1000, 1),
                    )
        finally:
            structlog.contextvars.clear_contextvars()
