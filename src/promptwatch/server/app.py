"""`create_app(settings)`: builds the ASGI app. Nothing runs at import; the batch writer is entered in
the lifespan, and start-up refuses a database whose schema is not current."""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from .api import (
    accounts,
    activities,
    admin,
    contact,
    data_transfer,
    datasets,
    docs,
    health,
    ingest,
    legacy,
    legacy_loop,
    lifecycle,
    members,
    metrics,
    otlp,
    prices,
    problems,
    prompt_loop,
    redaction,
    replays,
    session_facets,
    sessions,
    sharing,
    signup,
    support_access,
    ui,
)
from .api import billing as billing_api
from .api import operator as operator_api
from .api import policies as policies_api
from .api import usage_stats as usage_stats_api
from .api.json_response import JsonResponse
from .collector import tune_for_serving
from .errors import DomainError
from .feature_counter import FeatureCounterMiddleware
from .middleware import CrossOriginMiddleware, EdgeMiddleware
from .services.access_log import AccessLog
from .services.accounts import AccountService
from .services.activity_list import ActivityListService
from .services.annotations import AnnotationService
from .services.audit import AuditService
from .services.backup_schedule import BackupSchedule
from .services.billing import BillingService
from .services.cleanup import run_cleanup_cycle
from .services.data_transfer import DataTransferService
from .services.datasets import DatasetService
from .services.deletion import DeletionService
from .services.ingest import IngestService
from .services.legacy_ingest import LegacyIngestService
from .services.mail import MailService
from .services.members import MemberService
from .services.metrics import MetricsService
from .services.operator import OperatorService
from .services.policies import PolicyService
from .services.prices import PriceService
from .services.prompt_cache import PromptCacheService
from .services.redaction import RedactionService
from .services.replay import ReplayService
from .services.retention import RetentionService
from .services.runtime import Runtime
from .services.session_detail import ActivityService
from .services.session_facets import SessionFacetService
from .services.sessions import SessionService
from .services.sharing import SharingService
from .services.signup import SignupService
from .services.staff import StaffService
from .services.support_access import SupportAccessService
from .services.templates import TemplateService, template_stage
from .services.unit_tests import UnitTestService
from .services.usage_stats import UsageStatsService
from .settings import Settings, cors_origins, resolve_database_url
from .store.engine import make_engine
from .store.schema_version import ensure_current
from .telemetry import Telemetry
from .workers.batch_writer import BatchWriter
from .workers.counter_flusher import CounterFlusher
from .workers.outbox import OutboxWorker
from .workers.periodic import PeriodicJob


@dataclass
class Services:
    ingest: IngestService
    legacy: LegacyIngestService
    sessions: SessionService
    activities: ActivityService
    activity_list: ActivityListService
    facets: SessionFacetService
    metrics: MetricsService
    accounts: AccountService
    prices: PriceService
    deletion: DeletionService
    retention: RetentionService
    data: DataTransferService
    prompt_cache: PromptCacheService
    unit_tests: UnitTestService
    templates: TemplateService
    annotations: AnnotationService
    replays: ReplayService
    members: MemberService
    support: SupportAccessService
    audit: AuditService
    staff: StaffService
    sharing: SharingService
    redaction: RedactionService
    access_log: AccessLog
    # customers
    mail: MailService
    signup: SignupService
    billing: BillingService
    usage_stats: UsageStatsService
    policies: PolicyService
    operator: OperatorService
    datasets: DatasetService


# FastAPI traces, meters and logs every request (exception messages and validation failures included) as soon as
# the process has an OpenTelemetry provider, e.g. one set up by the operator's environment. Request data must
# not leave through it (P1): the server's own operations data is at /metrics and in the access log (P9).
NO_FRAMEWORK_TELEMETRY = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_worker_app(tls: bool = False) -> FastAPI:
    """The app of one worker process of `promptwatch up --workers N`, its settings from the environment and
    its garbage collector tuned for serving."""
    app = create_app(Settings(), tls=tls)
    tune_for_serving()
    return app


def create_app(settings: Settings | None = None, tls: bool = False) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(resolve_database_url(settings), settings.database_connect_timeout_seconds)
    runtime = Runtime.build(settings, engine)
    telemetry = Telemetry()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ensure_current(engine, create_if_empty=False)
        runtime.ledger.create()  # from the first start on: a restore refuses when it is missing, as lost
        async with AsyncExitStack() as workers:
            writer = await workers.enter_async_context(
                BatchWriter(engine, settings.ingest_queue_limit, settings.ingest_writers)
            )
            runtime.pipeline.writer = writer
            telemetry.watch_writer(writer)
            runtime.pipeline.add_stage(app.state.services.redaction.stage)  # redaction before storage
            runtime.pipeline.add_stage(template_stage)  # the writer assigns template versions
            await workers.enter_async_context(app.state.services.access_log)
            await workers.enter_async_context(
                PeriodicJob(engine, "cleanup", settings.cleanup_interval_seconds, lambda: run_cleanup_cycle(runtime))
            )
            backups = app.state.backup_schedule
            await workers.enter_async_context(
                PeriodicJob(engine, "backup", backups.check_seconds, backups.run_if_due, backups.first_check_seconds)
            )
            await workers.enter_async_context(OutboxWorker(app.state.services.mail, settings.outbox_poll_seconds))
            usage_stats = app.state.services.usage_stats
            await workers.enter_async_context(
                CounterFlusher(
                    usage_stats, settings.usage_stats_flush_seconds, "usage-counters", "promptwatch.usage_stats"
                )
            )
            await workers.enter_async_context(
                CounterFlusher(
                    runtime.cache_tally, settings.cache_counts_flush_seconds, "cache-counts", "promptwatch.cache_counts"
                )
            )
            yield
        engine.dispose()

    app = FastAPI(
        title="PromptWatch",
        version="1",
        description="Observability for LLM applications that keeps its privacy promises.",
        lifespan=lifespan,
        default_response_class=JsonResponse,
        responses=problems.SHARED_RESPONSES,
        docs_url=None,
        redoc_url=None,
        telemetry=NO_FRAMEWORK_TELEMETRY,
    )
    app.state.runtime = runtime
    app.state.telemetry = telemetry
    app.state.backup_schedule = BackupSchedule(runtime)  # its state is in the readiness answer
    mail = MailService(runtime)
    ingest_service = IngestService(runtime)
    redaction_service = RedactionService(runtime)
    app.state.services = Services(
        mail=mail,
        signup=SignupService(runtime, mail),
        billing=BillingService(runtime, mail),
        usage_stats=UsageStatsService(runtime),
        policies=PolicyService(runtime, mail),
        operator=OperatorService(runtime),
        legacy=LegacyIngestService(runtime),
        sessions=SessionService(runtime),
        activities=ActivityService(runtime),
        activity_list=ActivityListService(runtime),
        facets=SessionFacetService(runtime),
        metrics=MetricsService(runtime),
        accounts=AccountService(runtime),
        prices=PriceService(runtime),
        deletion=DeletionService(runtime),
        retention=RetentionService(runtime),
        ingest=ingest_service,
        data=DataTransferService(runtime, ingest_service),
        prompt_cache=PromptCacheService(runtime),
        unit_tests=UnitTestService(runtime),
        templates=TemplateService(runtime),
        annotations=AnnotationService(runtime),
        replays=ReplayService(runtime),
        members=MemberService(runtime, mail),
        support=SupportAccessService(runtime),
        audit=AuditService(runtime),
        staff=StaffService(runtime),
        sharing=SharingService(runtime),
        redaction=redaction_service,
        access_log=AccessLog(runtime),
        datasets=DatasetService(runtime, redaction_service),
    )
    app.add_exception_handler(DomainError, problems.domain_error)
    app.add_exception_handler(RequestValidationError, problems.validation_error)
    app.add_exception_handler(HTTPException, problems.http_error)
    app.add_exception_handler(ClientDisconnect, problems.client_gone)
    app.add_exception_handler(Exception, problems.unexpected_error)
    # a value no column can hold (an integer past 64 bits, NUL in PostgreSQL text): the request's transaction
    # rolled back, so nothing stored changed; an OverflowError the database did not raise is a 500, as any bug
    for unstorable in (OverflowError, DataError):
        app.add_exception_handler(unstorable, problems.unstorable_value)
    for module in (
        health,
        ingest,
        sessions,
        activities,
        session_facets,
        metrics,
        accounts,
        legacy,
        docs,
        otlp,
        prices,
        ui,
        legacy_loop,
        lifecycle,
        data_transfer,
    ):
        app.include_router(module.router)
    for module in (members, support_access, admin, sharing, redaction):
        app.include_router(module.router)
    for module in (prompt_loop, replays):  # templates, annotations, cache, replay
        app.include_router(module.router)
    app.include_router(datasets.router)
    for module in (contact, signup, billing_api, usage_stats_api, policies_api, operator_api):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=docs.WEB_DIR), name="static")
    app.add_middleware(FeatureCounterMiddleware)
    app.add_middleware(
        EdgeMiddleware,
        telemetry=telemetry,
        max_body=settings.max_request_bytes,
        tls=tls,
        access_log=app.state.services.access_log.record,
    )
    if origins := cors_origins(settings.cors_origins):  # outermost: the edge's refusals (413, 400) carry it too
        app.add_middleware(CrossOriginMiddleware, origins=origins)
    return app
