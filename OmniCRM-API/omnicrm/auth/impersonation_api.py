"""/crm/auth/impersonate, /stop_impersonation and /impersonation_logs (spec 05 §7, spec 07 §5.10). The routes join
the /auth namespace of omnicrm.auth.api; the logic is omnicrm.portal.impersonation."""
from flask import g, request
from flask_restx import Resource, fields
from sqlalchemy import or_, select

from omnicrm import db
from omnicrm.auth import cookies
from omnicrm.auth.api import ns
from omnicrm.auth.authenticate import client_ip
from omnicrm.auth.models import User
from omnicrm.auth.rbac import authenticated, requires
from omnicrm.common.listing import paginate, parse_list_params
from omnicrm.common.validation import Checker, json_body
from omnicrm.portal import impersonation
from omnicrm.portal.models import ImpersonationLog

impersonate_model = ns.model("Impersonate", {
    "user_id": fields.Integer(required=True, example=42, description="The subscriber (customer user) to act as"),
    "reason": fields.String(required=True, description="Why (kept in the impersonation log and activity log)"),
    "refresh_in_cookie": fields.Boolean(description="Set the refresh token only as the HttpOnly cookie"),
})


@ns.route("/impersonate")
class Impersonate(Resource):
    @requires("can_impersonate")
    @ns.expect(impersonate_model)
    @ns.response(200, "Tokens of the impersonation session (the target's permissions only)")
    @ns.response(403, "Missing can_impersonate/admin, or the target is staff or an administrator")
    def post(self):
        """Start acting as a subscriber, for at most security.impersonation_minutes (audited)."""
        data = json_body()
        check = Checker(data)
        check.integer("user_id", required=True, minimum=1)
        reason = check.string("reason", required=True, max_length=500)
        if reason is not None and len(reason.strip()) < 3:
            check.error("reason", "say why you act as this user (at least 3 characters)")
        check.boolean("refresh_in_cookie")
        check.done()
        body = impersonation.start(g.identity, int(data["user_id"]), reason.strip(), client_ip(),
                                   request.user_agent.string)
        return cookies.session_response(body, cookie_only=bool(data.get("refresh_in_cookie")))


@ns.route("/stop_impersonation")
class StopImpersonation(Resource):
    @authenticated
    @ns.response(200, "Ended; the staff member's own tokens when that session is still live")
    @ns.response(400, "This session is not an impersonation")
    def post(self):
        """End the impersonation this token belongs to and return to the original session."""
        data = request.get_json(silent=True)
        cookie_only = bool(data.get("refresh_in_cookie")) if isinstance(data, dict) else False
        body = impersonation.stop(g.identity)
        if "refresh_token" not in body:
            return cookies.cleared(cookies.session_response(body, cookie_only))
        return cookies.session_response(body, cookie_only=cookie_only)


@ns.route("/impersonation_logs")
class ImpersonationLogs(Resource):
    @requires("admin")
    @ns.response(200, "Impersonation sessions: {data, pagination}; ?user_id (either side), start_date, end_date")
    def get(self):
        """Who impersonated whom, when, for how long and why (newest first)."""
        check = Checker(dict(request.args))
        user_id = check.integer("user_id", minimum=1)
        start = check.datetime("start_date")
        end = check.datetime("end_date", end_of_day=True)
        check.done()
        args = {k: v for k, v in request.args.items() if k not in ("user_id", "start_date", "end_date")}
        params = parse_list_params(args)
        if not request.args.get("order"):
            params.order = "desc"
        stmt = select(ImpersonationLog)
        if user_id:
            stmt = stmt.where(or_(ImpersonationLog.impersonating_user_id == user_id,
                                  ImpersonationLog.target_user_id == user_id))
        if start:
            stmt = stmt.where(ImpersonationLog.impersonation_start >= start)
        if end:
            stmt = stmt.where(ImpersonationLog.impersonation_start <= end)
        users = {u.id: u for u in db.session.scalars(select(User))}
        return paginate(stmt, params, sortable={"id": ImpersonationLog.id,
                                                "impersonation_start": ImpersonationLog.impersonation_start,
                                                "impersonation_duration": ImpersonationLog.impersonation_duration},
                        default_sort="id", serialize=lambda row: impersonation.log_to_dict(row, users),
                        filterable={"customer_id": lambda values: ImpersonationLog.customer_id.in_(values)})
