"""`create_app(settings)`: builds the ASGI app. Nothing runs at import; the batch writer is entered in
the lifespan, and start-up refuses a database whose schema is not current."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import ORJSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .api import accounts, docs, health, ingest, legacy, metrics, otlp, prices, problems, sessions, ui
from .errors import DomainError
from .middleware import EdgeMiddleware
from .services.accounts import AccountService
from .services.ingest import IngestService
from .services.legacy_ingest import LegacyIngestService
from .services.metrics import MetricsService
from .services.prices import PriceService
from .services.runtime import Runtime
from .services.sessions import SessionService
from .settings import Settings, resolve_database_url
from .store.engine import make_engine
from .store.schema_version import ensure_current
from .telemetry import Telemetry
from .workers.batch_writer import BatchWriter


@dataclass
class Services:
    ingest: IngestService
    legacy: LegacyIngestService
    sessions: SessionService
    metrics: MetricsService
    accounts: AccountService
    prices: PriceService


def create_app(settings: Settings | None = None, tls: bool = False) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(resolve_database_url(settings))
    runtime = Runtime.build(settings, engine)
    telemetry = Telemetry()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ensure_current(engine, create_if_empty=False)
        async with BatchWriter(engine, settings.ingest_queue_limit) as writer:
            runtime.pipeline.writer = writer
            telemetry.watch_writer(writer)
            yield
        engine.dispose()

    app = FastAPI(
        title="PromptWatch",
        version="1",
        description="Observability for LLM applications that keeps its privacy promises.",
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.telemetry = telemetry
    app.state.services = Services(
        ingest=IngestService(runtime),
        legacy=LegacyIngestService(runtime),
        sessions=SessionService(runtime),
        metrics=MetricsService(runtime),
        accounts=AccountService(runtime),
        prices=PriceService(runtime),
    )
    app.add_exception_handler(DomainError, problems.domain_error)
    app.add_exception_handler(RequestValidationError, problems.validation_error)
    app.add_exception_handler(HTTPException, problems.http_error)
    app.add_exception_handler(Exception, problems.unexpected_error)
    for module in (health, ingest, sessions, metrics, accounts, legacy, docs, otlp, prices, ui):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=docs.WEB_DIR), name="static")
    app.add_middleware(EdgeMiddleware, telemetry=telemetry, max_body=settings.max_request_bytes, tls=tls)
    return app
