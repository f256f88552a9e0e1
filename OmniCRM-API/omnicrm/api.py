"""The flask-restx Api under /crm: Swagger UI at /crm/docs, one JSON error shape for every failure."""
import logging

from flask import Blueprint
from flask_restx import Api
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from omnicrm import db
from omnicrm.errors import ApiError

log = logging.getLogger(__name__)

ERROR_SCHEMA = {
    "type": "object", "required": ["message"],
    "properties": {
        "message": {"type": "string", "description": "What went wrong, for a person"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Field name -> what is wrong with it"},
    },
}
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


class OmniApi(Api):
    """Every operation documents its failures: the one error body (`ApiError.to_dict`) as the `default` response,
    so any 4xx/5xx an operation gives is described, whatever it lists explicitly."""

    @property
    def __schema__(self):
        schema = super().__schema__
        if "Error" not in schema.setdefault("definitions", {}):
            schema["definitions"]["Error"] = ERROR_SCHEMA
            for operations in schema.get("paths", {}).values():
                for method, operation in operations.items():
                    if method in HTTP_METHODS:
                        operation.setdefault("responses", {}).setdefault("default", {
                            "description": "Error: a JSON body with `message` and, for bad input, `errors`",
                            "schema": {"$ref": "#/definitions/Error"}})
        return schema


blueprint = Blueprint("crm", __name__, url_prefix="/crm")
api = OmniApi(
    blueprint,
    title="OmniCRM API",
    version="1.0",
    description="BSS/OSS for mobile and fixed-line operators. Authenticate with `Authorization: Bearer <token>` "
                "from POST /crm/auth/login, or with an `X-API-KEY` header.",
    doc="/docs",
    authorizations={
        "Bearer": {"type": "apiKey", "in": "header", "name": "Authorization",
                   "description": "Bearer <token> from POST /crm/auth/login"},
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
    },
    security=["Bearer", "ApiKey"],
    catch_all_404s=True,
)


# Swagger UI also at /crm/docs/, the address spec 03 acceptance check 6 gives: a second URL of the same endpoint.
blueprint.add_url_rule("/docs/", endpoint="doc")


@api.errorhandler(ApiError)
def _api_error(error):
    db.session.rollback()
    return error.to_dict(), error.status_code


@api.errorhandler(IntegrityError)
def _integrity_error(error):
    db.session.rollback()
    log.info("integrity error: %s", _db_error_code(error))
    return {"message": "The change conflicts with existing data (duplicate or still referenced)."}, 409


@api.errorhandler(DataError)
@api.errorhandler(OverflowError)
def _out_of_range(error):
    """A value the checks let through but the database cannot hold (a number past its column): the caller's
    input, so a 400 — the checks in common.validation should have caught it first."""
    db.session.rollback()
    log.warning("value out of range for the database: %s", type(error).__name__)
    return {"message": "A value is out of range for the database"}, 400


@api.errorhandler(OperationalError)
def _database_unavailable(error):
    db.session.rollback()
    log.error("database error: %s", _db_error_code(error))
    return {"message": "The database is unavailable, try again shortly."}, 503


@api.errorhandler(RedisConnectionError)
@api.errorhandler(RedisTimeoutError)
def _redis_unavailable(error):
    """Redis holds revocations and rate limits: without it no request can be checked, so none is served."""
    db.session.rollback()
    log.error("Redis unavailable: %s", type(error).__name__)
    return {"message": "Shared state (Redis) is unavailable, try again shortly."}, 503


def _db_error_code(error):
    """The driver's error class and code only: its message and the statement's parameters can hold personal data
    or secrets (the engine also hides parameters from tracebacks)."""
    orig = getattr(error, "orig", None)
    code = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    return f"{type(orig or error).__name__}{f' {code}' if code is not None else ''}"


@api.errorhandler(HTTPException)
def _http_error(error):
    body = {"message": getattr(error, "description", None) or error.name}
    data = getattr(error, "data", None)
    if isinstance(data, dict) and data.get("errors"):
        body["errors"] = data["errors"]
    return body, error.code


@api.errorhandler(Exception)
def _unexpected(error):
    db.session.rollback()  # flask-restx logs every 5xx through app.log_exception, without the exception's text
    return {"message": "Internal server error"}, 500


def register_namespaces():
    """Each domain contributes its namespaces; imported here so the app has one place that wires them."""
    from omnicrm.auth.api import ns as auth_ns
    from omnicrm.auth.api_keys_api import ns as api_keys_ns
    from omnicrm.auth import password_api  # noqa: F401 - adds the password routes to auth_ns
    from omnicrm.auth import sessions_api  # noqa: F401 - adds the session routes to auth_ns
    from omnicrm.auth import impersonation_api  # noqa: F401 - adds the impersonation routes to auth_ns
    from omnicrm.auth.twofa_api import ns as twofa_ns
    from omnicrm.health import ns as health_ns

    for namespace in (health_ns, auth_ns, api_keys_ns, twofa_ns):
        api.add_namespace(namespace)
    from omnicrm import domain_namespaces
    for namespace in domain_namespaces.all_namespaces():
        api.add_namespace(namespace)


ERROR_HANDLERS = ((ApiError, _api_error), (IntegrityError, _integrity_error), (DataError, _out_of_range),
                  (OverflowError, _out_of_range), (OperationalError, _database_unavailable),
                  (HTTPException, _http_error), (Exception, _unexpected))


def install_error_handlers(other_api):
    """The same JSON error shape for another Api of this app (the public /oam API)."""
    for kind, handler in ERROR_HANDLERS:
        other_api.errorhandler(kind)(handler)
