"""GET /crm/health: is the API able to serve (database, and Redis when configured)?"""
from flask_restx import Namespace, Resource
from sqlalchemy import text

from omnicrm import db
from omnicrm.auth.rbac import public
from omnicrm.common.shared_state import redis_client

ns = Namespace("health", description="Liveness and dependency checks", path="/health")


@ns.route("")
class Health(Resource):
    @public
    @ns.response(200, "Every dependency answers")
    @ns.response(503, "A dependency is down")
    def get(self):
        """Check the database and Redis."""
        checks = {}
        try:
            db.session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - report any failure as unhealthy
            db.session.rollback()
            checks["database"] = f"error: {exc.__class__.__name__}"
        client = redis_client()
        if client is None:
            checks["redis"] = "not configured"
        else:
            try:
                client.ping()
                checks["redis"] = "ok"
            except Exception as exc:  # noqa: BLE001
                checks["redis"] = f"error: {exc.__class__.__name__}"
        healthy = all(v in ("ok", "not configured") for v in checks.values())
        return {"status": "ok" if healthy else "error", **checks}, 200 if healthy else 503
