"""The FastAPI application factory."""

from __future__ import annotations

import hashlib
import hmac
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from base.csrf import CsrfMiddleware
from base.db import make_engine, make_session_factory, transaction
from base.http import LanguageDep, SessionDep
from base.i18n import messages
from base.web import STATIC_DIR, STATIC_URL
from catalogue import load_catalogue
from catalogue.api import router as catalogue_router
from credentials.certificates.render import CertificateCache, use_certificate_cache
from credentials.reports.service import FiguresCache
from issuers.throttle import Throttle
from volcred.logs import RequestIdMiddleware
from volcred.problems import install_problem_handlers, problem
from volcred.public_limits import PublicLimitsMiddleware, throttle_rates
from volcred.request_guard import RequestGuardMiddleware
from volcred.settings import Settings, get_settings

# The order /docs lists the API in: the catalogue, who issues, what they issue, and who reads it.
API_TAGS = (
    "service",
    "catalogue",
    "organisations",
    "platform",
    "keys",
    "tokens",
    "members",
    "auth",
    "registry",
    "records",
    "statements",
    "credentials",
    "status lists",
    "VC-API",
    "batches",
    "missions",
    "wallets",
    "reports",
    "levels",
    "exports",
    "verification",
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="volunteer-credentials",
        version="0.1.0",
        description="Verifiable credentials for volunteer work. Brīvprātīgā darba apliecinājumi, ko var pārbaudīt.",
        docs_url=None,  # served below from the installed Swagger UI package, never from a CDN
        redoc_url=None,
        openapi_tags=[{"name": name} for name in API_TAGS],
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.effective_database_url)
    app.state.session_factory = make_session_factory(app.state.engine)
    messages()  # fail at start, not at the first error, when a message catalogue is broken
    load_catalogue()  # likewise for the competence catalogue (and the first request need not parse it)
    use_certificate_cache(CertificateCache(settings.data_dir / "certificates"))  # rendered PDFs, deterministic

    # The forms' CSRF tokens are signed with a key of their own, derived from the key-encryption key.
    app.state.csrf_secret = hmac.new(settings.encryption_key, b"volcred csrf tokens", hashlib.sha256).digest()
    app.add_middleware(CsrfMiddleware, secure=settings.public_base_url.startswith("https://"))
    app.add_middleware(RequestGuardMiddleware)  # body size and NUL text, after the throttle
    # Published statistics, kept a few minutes (credentials.reports); VOLCRED_STATISTICS_CACHE_SECONDS=0: none.
    seconds = settings.statistics_cache_seconds
    app.state.report_cache = FiguresCache(seconds) if seconds > 0 else None
    app.state.throttle = Throttle(throttle_rates(settings), enabled=settings.rate_limits)
    app.add_middleware(PublicLimitsMiddleware, throttle=app.state.throttle)  # before any body is read
    app.add_middleware(RequestIdMiddleware)  # added last, so outermost: refusals carry a request id too
    install_problem_handlers(app)

    @app.get("/health", tags=["service"], summary="Service and database health")
    def health(request: Request, session: SessionDep, lang: LanguageDep):
        try:
            session.execute(text("SELECT 1"))
        except Exception:
            session.rollback()  # nothing to commit: the 503 stands, not a failing commit's 500
            return problem(request, 503, "database-unreachable", messages().get("health.database_unreachable", lang))
        return {"status": "ok", "database": "ok", "message": messages().get("health.ok", lang)}

    for router in _routers():
        app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    _install_docs(app)
    return app


DOCS_ASSETS_URL = "/docs-assets"


def _install_docs(app: FastAPI) -> None:
    """`/docs`: Swagger UI from the `swagger-ui-bundle-v2` package, so the page works offline."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    # The app comes from the request, not from this closure: FastAPI keeps endpoints in a process-wide cache, and a
    # closure over the app would keep every app made (one per test) alive with its engine and workers' state.
    @app.get("/docs", include_in_schema=False)
    def docs(request: Request):
        return get_swagger_ui_html(
            openapi_url=request.app.openapi_url,
            title=f"{request.app.title} · API",
            swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS_URL}/favicon-32x32.png",
        )


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """Starts the bulk-issuance runner (it also resumes batches a killed process left half done), the e-mail
    outbox's sender and the coordinators' daily digest."""
    from base.mail.sender import OutboxSender
    from credentials.batches.runner import BatchRunner
    from credentials.notices import ReviewDigestWorker
    from issuers.service import IssuerContext

    settings = app.state.settings
    runner = BatchRunner(
        lambda: transaction(app.state.session_factory),
        IssuerContext(settings.public_base_url, settings.encryption_key),
        settings.batch_lease_seconds,
        settings.batch_row_pause,
    )
    app.state.batch_runner = runner
    runner.start()
    mail_sender = OutboxSender(
        lambda: transaction(app.state.session_factory), settings.smtp, poll_seconds=settings.mail_poll_seconds
    )
    app.state.mail_sender = mail_sender
    mail_sender.start()
    digest = None
    if settings.digest_hour >= 0:
        digest = ReviewDigestWorker(
            lambda: transaction(app.state.session_factory), settings.public_base_url, hour=settings.digest_hour
        )
        digest.start()
    app.state.review_digest = digest
    yield
    if digest is not None:
        digest.stop()
    mail_sender.stop()
    runner.stop()


def _routers():
    """Every package's routers. FastAPI tries a request's path against the routes one by one, a few microseconds
    each, so the routers most requested come first: a request for the last of some 240 routes spent about 0.6 ms of
    CPU finding it. No two routers answer the same method and path (tests/volcred/test_routes.py), so their order
    changes nothing else; /docs lists the tags in `API_TAGS` order whatever it is."""
    from catalogue.pages import router as catalogue_pages
    from credentials.api import router as credentials_router
    from credentials.batches.api import router as batches_router
    from credentials.batches.pages import router as batches_pages
    from credentials.holders.claim_pages import router as claim_pages
    from credentials.holders.pages import router as holders_pages
    from credentials.hourslog.pages import router as hourslog_pages
    from credentials.levels.api import router as levels_router
    from credentials.levels.pages import router as levels_pages
    from credentials.missions.api import router as missions_router
    from credentials.missions.pages import router as missions_pages
    from credentials.pages import router as volunteer_pages
    from credentials.records.api import router as records_router
    from credentials.records.pages import router as drafts_pages
    from credentials.records.statement_pages import router as statements_pages
    from credentials.reports.api import router as reports_router
    from credentials.reports.pages import router as reports_pages
    from credentials.wallet.api import router as wallet_router
    from credentials.wallet.pages import router as wallet_pages
    from credentials.workspace.pages import router as credentials_pages
    from issuers.api import router as issuers_router
    from issuers.pages import router as issuers_pages
    from verify.api import router as verify_router
    from verify.exports.api import router as export_router
    from verify.pages import api_router as bulk_router
    from verify.pages import router as verify_pages

    return [
        # The most frequent first: verifiers' API, credentials (VC-API, status lists), the verification page.
        verify_router,
        credentials_router,
        verify_pages,
        catalogue_router,
        catalogue_pages,
        issuers_router,
        issuers_pages,
        records_router,
        batches_router,
        missions_router,
        missions_pages,
        volunteer_pages,
        wallet_router,
        wallet_pages,
        holders_pages,
        claim_pages,
        drafts_pages,
        statements_pages,
        hourslog_pages,
        credentials_pages,
        batches_pages,
        reports_router,
        reports_pages,
        levels_router,
        levels_pages,
        export_router,
        bulk_router,
    ]
