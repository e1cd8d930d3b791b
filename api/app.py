"""The Starlette application: /graphql, /uploads, /intake, /healthz, /readyz, /metrics, and
in development the GraphiQL explorer's files at /graphql/assets/ (api/explorer/).

Metrics: with METRICS_TOKEN set, `/metrics` answers only a request bearing that token; with
METRICS_PORT set, the metrics are also served on that port (on METRICS_HOST, default HOST),
for a network only the scraper reaches. With neither, `/metrics` is open in development and
test, and absent (404) in production."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import pymongo
from pymongo import monitoring
import structlog
from minio import Minio
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, start_http_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.errors import UNAUTHENTICATED_HEADERS, http_error, is_database_unavailable
from api.explorer.page import Explorer
from api.graphql import AuthenticatedGraphQL, XuejiGraphQL
from api.persisted import PersistedOperations
from api.middleware import HttpMetrics, RequestContextMiddleware
from api.uploads import upload_endpoint
from api.exports import export_download_endpoint
from api.compliance import compliance_routes
from api.intake import IntakeJobs, intake_routes
from api.settings import Settings
from schema import build_schema
from application.session import Stores
from storage.accounts import AccountRepository
from storage.audit import AuditRepository
from storage.cases import CalendarRepository, CaseRepository
from storage.corrections import CorrectionRepository
from storage.documents import DocumentRepository
from storage.sweeps import FixityRunRepository
from storage.check_pool import ScanCheckPool
from storage.evidence_store import EvidenceArchive, check_locked_bucket, make_client
from storage.indexes import ensure_indexes
from storage.intake import IntakeRepository
from storage.promotion import PromotionRepository
from application import promotion
from storage.school_handovers import SchoolHandoverRepository
from storage.mongo import Collections, Doc, connect
from storage.schools import AreaRepository, SchoolRepository
from storage.sections import SectionRepository
from storage.placement import SchoolPlacement
from storage.persisted import PersistedOperationRepository
from storage.archive_handovers import ArchiveHandoverRepository
from storage.reverification import ReverificationRepository
from storage.students import StudentRepository
from storage.transitions import TransitionLog
from storage.exports import ExportRequestRepository

log = structlog.get_logger("app")
READINESS_TIMEOUT = 2.0


@dataclass
class Backends:
    """Connections opened by the lifespan, and the stores over them."""

    mongo: pymongo.AsyncMongoClient[Doc]
    evidence: EvidenceArchive
    stores: Stores


def stores_of(collections: Collections, archive: EvidenceArchive) -> Stores:
    placement = SchoolPlacement(collections)
    log = TransitionLog(collections, placement)  # the one commit protocol every write goes through
    students = StudentRepository(collections, log, placement)
    return Stores(
        areas=AreaRepository(collections),
        schools=SchoolRepository(collections, log),
        accounts=AccountRepository(collections, log),
        audit=AuditRepository(collections, placement),
        students=students,
        changes=log.feed,
        corrections=CorrectionRepository(collections, log),
        sections=SectionRepository(collections),
        documents=DocumentRepository(collections, log),
        archive=archive,
        fixity=FixityRunRepository(collections),
        cases=CaseRepository(collections, log, placement),
        calendar=CalendarRepository(collections, log),
        persisted_operations=PersistedOperationRepository(collections),
        intake=IntakeRepository(collections),
        reverification=ReverificationRepository(collections, log, placement),
        promotion=PromotionRepository(collections, log, students),
        archive_handovers=ArchiveHandoverRepository(collections, log, placement),
        exports=ExportRequestRepository(collections, log),
        school_handovers=SchoolHandoverRepository(collections, log, archive),
    )


def s3_client(settings: Settings) -> Minio:
    if settings.s3_endpoint is None:
        raise RuntimeError("S3_ENDPOINT is not set")
    return make_client(
        settings.s3_endpoint,
        settings.s3_access_key or "",
        settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else "",
        secure=settings.s3_secure,
        region=settings.s3_region,
    )


def s3_signer(settings: Settings) -> Minio | None:
    """A client for the endpoint browsers reach, used only to sign download links."""
    if settings.s3_public_endpoint is None:
        return None
    secure = settings.s3_secure if settings.s3_public_secure is None else settings.s3_public_secure
    return make_client(
        settings.s3_public_endpoint,
        settings.s3_access_key or "",
        settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else "",
        secure=secure,
        region=settings.s3_region,
    )


def create_app(settings: Settings, *, mongo_listeners: Sequence[monitoring._EventListener] = ()) -> Starlette:
    if settings.mongodb_uri is None or settings.s3_endpoint is None:
        raise RuntimeError("MONGODB_URI and S3_ENDPOINT must be set (scripts/serve sets them for the embedded default)")
    opened: list[Backends] = []  # filled by the lifespan; routes are built before it runs

    def backends() -> Backends:
        if not opened:
            raise RuntimeError("backends are not open (lifespan not started)")
        return opened[0]

    def stores() -> Stores:
        return backends().stores

    registry = CollectorRegistry()
    metrics = HttpMetrics(registry)
    checks = ScanCheckPool(settings.upload_check_workers)
    intake_jobs = IntakeJobs(stores, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        assert settings.mongodb_uri is not None and settings.s3_endpoint is not None
        minio = s3_client(settings)
        # Refuse to start unless the evidence bucket is object-locked (R-E3).
        await asyncio.to_thread(check_locked_bucket, minio, settings.s3_evidence_bucket)
        mongo = connect(
            settings.mongodb_uri,
            event_listeners=list(mongo_listeners),
            serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
            connectTimeoutMS=settings.mongodb_timeout_ms,
        )
        metrics_server = None
        try:
            collections = Collections.of(mongo[settings.mongodb_database])
            await ensure_indexes(collections)
            archive = EvidenceArchive(
                minio,
                settings.s3_evidence_bucket,
                signer=s3_signer(settings),
                link_lifetime=timedelta(seconds=settings.download_link_seconds),
            )
            opened.append(Backends(mongo, archive, stores_of(collections, archive)))
            if settings.metrics_port is not None:
                metrics_server, _thread = start_http_server(
                    settings.metrics_port, addr=settings.metrics_host or settings.host, registry=registry
                )
            elif settings.metrics_token is None and settings.is_production:
                log.warning("metrics not exposed: set METRICS_TOKEN or METRICS_PORT")
            checks.start()
            await promotion.resume_unfinished(stores())  # year-end jobs a stopped process left (Art. 17)
            log.info("started", env=settings.app_env.value, database=settings.mongodb_database)
            async with intake_jobs.running_in_background():
                yield
        finally:
            opened.clear()
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()
            await asyncio.to_thread(checks.shutdown)
            await mongo.close()

    schema = build_schema(
        max_depth=settings.graphql_max_depth,
        max_tokens=settings.graphql_max_tokens,
        max_aliases=settings.graphql_max_aliases,
        introspection=not settings.is_production,
        unavailable=is_database_unavailable,
    )

    graphql = XuejiGraphQL(
        schema,
        stores=stores,
        page_size_max=settings.page_size_max,
        persisted=PersistedOperations(settings.persisted_operations, lambda: stores().persisted_operations),
        graphql_ide=None,  # the development explorer is our own page, api/explorer/
        allow_queries_via_get=False,
    )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        checks: dict[str, str] = {}
        opened_backends = backends()
        try:
            async with asyncio.timeout(READINESS_TIMEOUT):
                await opened_backends.mongo.admin.command("ping")
            checks["mongodb"] = "ok"
        except Exception as e:  # noqa: BLE001 - any failure means not ready
            checks["mongodb"] = f"unavailable: {type(e).__name__}"
        try:
            async with asyncio.timeout(READINESS_TIMEOUT):
                await opened_backends.evidence.ping()
            checks["s3"] = "ok"
        except Exception as e:  # noqa: BLE001
            checks["s3"] = f"unavailable: {type(e).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503)

    metrics_token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None
    metrics_open = metrics_token is None and settings.metrics_port is None and not settings.is_production

    async def metrics_endpoint(request: Request) -> Response:
        if metrics_token is None and not metrics_open:
            return http_error(404, "NOT_FOUND", "not found")
        if metrics_token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), metrics_token):
                return http_error(401, "UNAUTHENTICATED", "the metrics need the metrics token", headers=UNAUTHENTICATED_HEADERS)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    intake = intake_routes(settings, stores, intake_jobs)
    compliance_files = compliance_routes(settings, stores)
    explorer = Explorer(settings) if settings.is_development else None
    explorer_routes = [Route("/graphql/assets/{name}", explorer.asset, methods=["GET"])] if explorer else []

    app = Starlette(
        routes=[
            Route("/graphql", AuthenticatedGraphQL(graphql, settings, stores, explorer), methods=["GET", "POST"]),
            *explorer_routes,
            Route("/uploads", upload_endpoint(settings, stores, checks), methods=["POST"]),
            Route("/intake", intake["upload"], methods=["POST"]),
            Route("/intake/template.xlsx", intake["template"], methods=["GET"]),
            Route("/intake/report.xlsx", intake["report"], methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/exports/download", export_download_endpoint(settings, stores), methods=["GET"]),
            Route("/compliance/report.xlsx", compliance_files["xlsx"], methods=["GET"]),
            Route("/compliance/report.pdf", compliance_files["pdf"], methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
