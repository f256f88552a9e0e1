"""OmniCRM: one Flask app serving the /crm REST API and the React console."""
from datetime import timedelta

from flask import Flask, jsonify, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from omnicrm import db
from omnicrm.common.safe_log import log_unexpected
from omnicrm.config import REPO_ROOT, load_config
from omnicrm.ops import metrics, request_log

UI_DIST = REPO_ROOT / "OmniCRM-UI" / "dist"
ASSET_MAX_AGE = 365 * 24 * 3600


class StrictJSONProvider(DefaultJSONProvider):
    """Request bodies that cannot be stored are not JSON to us: nesting deep enough to exhaust the parser, or
    lone UTF-16 surrogates ("\\ud800") that no UTF-8 database column accepts, give the usual 400."""

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
            super().dumps(data, ensure_ascii=False).encode("utf-8")
        except (RecursionError, UnicodeEncodeError) as exc:
            raise ValueError("unusable JSON") from exc
        return data


class IdConverter(IntegerConverter):
    """`<int:...>` path parts beyond the INT columns' range are simply not found (404), never a database
    overflow."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


class OmniCRM(Flask):
    def log_exception(self, exc_info):
        """Flask's error log (flask-restx calls it for every 5xx) without the exception's text."""
        error = exc_info[1] if exc_info else None
        if error is None:
            self.logger.error("Error on %s [%s]", request.path, request.method)
        else:
            log_unexpected(self.logger, error, "Exception on %s [%s]", request.path, request.method)


def create_app(config=None, database_url=None):
    """Build the app from a validated Config (loaded from crm_config.yaml + environment by default)."""
    config = config or load_config()
    app = OmniCRM(__name__, static_folder=None)
    app.json_provider_class = StrictJSONProvider
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    app.config["CRM"] = config
    app.config["JWT_SECRET_KEY"] = config["jwt_secret"]
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=config["security"]["access_token_minutes"])
    app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(days=config["security"]["refresh_token_days"])
    app.config["RESTX_MASK_SWAGGER"] = False
    app.config["RESTX_ERROR_404_HELP"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.json.sort_keys = False
    request_log.configure_logging(config["monitoring"]["log_format"])

    db.init_engine(database_url or config.database_url)
    from omnicrm.common.shared_state import init_redis
    init_redis(config["redis"].get("url"), config["redis"].get("namespace") or "")

    from omnicrm.auth.tokens import jwt
    jwt.init_app(app)

    from omnicrm import models  # noqa: F401 - the whole schema must be mapped before any query
    from omnicrm.api import api, blueprint, register_namespaces
    if not api.namespaces[1:]:
        register_namespaces()
    app.register_blueprint(blueprint)
    from omnicrm.billing.mail import connect_receivers as connect_billing_mail
    connect_billing_mail()
    from omnicrm.topup.api import blueprint as topup_blueprint  # the public top-up portal's API, /oam
    app.register_blueprint(topup_blueprint)

    @app.teardown_appcontext
    def _remove_session(_exc):
        db.session.remove()

    @app.errorhandler(HTTPException)
    def _json_errors_for_api(error):
        if request.path.startswith(("/crm", "/oam")):
            return jsonify(message=error.description or error.name), error.code
        return error

    @app.errorhandler(Exception)
    def _unexpected(error):
        """Anything the API's own handlers did not catch: rolled back, logged, a bare JSON 500."""
        db.session.rollback()
        app.log_exception((type(error), error, error.__traceback__))
        return jsonify(message="Internal server error"), 500

    from omnicrm import security_headers
    security_headers.install(app)
    request_log.install(app)
    metrics.install(app)
    _serve_console(app)
    return app


def _serve_console(app):
    """The built SPA at /, with client-side routes answered by index.html so reloads work."""

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def console(path):
        if path.startswith(("crm/", "oam/")) or path in ("crm", "oam"):
            return jsonify(message="Not found"), 404
        if path.startswith("assets/"):  # Vite's content-hashed files: a release adds new names, never edits one
            if not (UI_DIST / path).is_file():
                return jsonify(message="Not found"), 404  # an old chunk after a release, not a page to route
            response = send_from_directory(UI_DIST, path, max_age=ASSET_MAX_AGE)
            response.cache_control.immutable = True
            return response
        if path and (UI_DIST / path).is_file():
            return send_from_directory(UI_DIST, path)
        if (UI_DIST / "index.html").is_file():
            return send_from_directory(UI_DIST, "index.html")
        return ("OmniCRM API is running. The web console is not built yet: run `make ui`. "
                "API documentation: /crm/docs"), 200, {"Content-Type": "text/plain"}
