"""/crm/activity: a customer's activity log, newest first, filterable; entries are never edited or deleted
(spec 04 §17)."""
import json

from flask import request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.auth.identity import ensure_customer_visible
from omnicrm.auth.rbac import requires
from omnicrm.common.listing import list_parser, pagination_model, paginate, parse_list_params
from omnicrm.common.serialize import iso
from omnicrm.common.validation import parse_datetime
from omnicrm.errors import NotFound, ValidationError

ns = Namespace("activity", description="Customer activity log (read-only)", path="/activity")

entry_model = ns.model("ActivityEntry", {
    "activity_id": fields.Integer, "customer_id": fields.Integer,
    "entity_type": fields.String(example="contact"), "entity_id": fields.String,
    "action": fields.String(example="update", description="create, update, delete, status, restore, ..."),
    "description": fields.String,
    "changes": fields.Raw(description='{field: {"before": x, "after": y}}'),
    "user_id": fields.Integer, "actor": fields.String(example="user:alice@example.com"),
    "ip_address": fields.String, "created": fields.String})
entry_list_model = ns.model("ActivityList", {
    "data": fields.List(fields.Nested(entry_model)),
    "pagination": fields.Nested(ns.model("ActivityPagination", pagination_model))})

SORTABLE = {"activity_id": ActivityLog.activity_id, "created": ActivityLog.created,
            "entity_type": ActivityLog.entity_type, "action": ActivityLog.action}


def _date_filter(end_of_day, compare):
    def clause(values):
        value = parse_datetime(str(values[0]), end_of_day=end_of_day) if values else None
        if value is None:
            raise ValidationError("Invalid list parameters",
                                  errors={"filters": "created_from/created_to must be dates (YYYY-MM-DD)"})
        return compare(value)
    return clause


FILTERS = {
    "entity_type": ActivityLog.entity_type,
    "action": ActivityLog.action,
    "entity_id": lambda values: ActivityLog.entity_id.in_([str(v) for v in values]),
    "user_id": ActivityLog.user_id,
    "created_from": _date_filter(False, lambda v: ActivityLog.created >= v),
    "created_to": _date_filter(True, lambda v: ActivityLog.created <= v),
}


def entry_to_dict(entry):
    return {"activity_id": entry.activity_id, "customer_id": entry.customer_id, "entity_type": entry.entity_type,
            "entity_id": entry.entity_id, "action": entry.action, "description": entry.description,
            "changes": json.loads(entry.changes) if entry.changes else None, "user_id": entry.user_id,
            "actor": entry.actor, "impersonator_id": entry.impersonator_id, "ip_address": entry.ip_address,
            "created": iso(entry.created)}


@ns.route("/customer_id/<int:customer_id>")
class CustomerActivity(Resource):
    @requires("view_customer_activity", own="view_own_customer_activity")
    @ns.expect(list_parser)
    @ns.response(200, "The customer's activity, newest first", entry_list_model)
    @ns.doc(description='filters: entity_type, action, entity_id, user_id, created_from, created_to, e.g. '
                        '{"entity_type": ["contact"], "action": ["delete"]}')
    def get(self, customer_id):
        """A customer's activity log (paginated, filterable; newest first unless sorted otherwise)."""
        from omnicrm.customers.service import get_customer
        get_customer(customer_id)
        params = parse_list_params()
        if not request.args.get("order"):
            params.order = "desc"
        stmt = select(ActivityLog).where(ActivityLog.customer_id == customer_id)
        return paginate(stmt, params, sortable=SORTABLE, default_sort="activity_id", serialize=entry_to_dict,
                        searchable=(ActivityLog.description,), filterable=FILTERS)


@ns.route("/activity_id/<int:activity_id>")
class ActivityItem(Resource):
    @requires("view_customer_activity", own="view_own_customer_activity")
    @ns.response(200, "One entry with its changes", entry_model)
    def get(self, activity_id):
        """One activity entry: what changed, who, when."""
        entry = db.session.get(ActivityLog, activity_id)
        if entry is None:
            raise NotFound(f"Activity entry {activity_id} not found")
        ensure_customer_visible(entry.customer_id)  # entries without a customer: staff only
        return entry_to_dict(entry)


namespaces = [ns]
