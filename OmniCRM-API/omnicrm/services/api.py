"""/crm/service: service records, the service management list, bulk operations, live balances (spec 04 §6,
§13; spec 05 §1-4)."""
from flask import request
from flask_restx import Namespace, Resource, fields

from omnicrm import db
from omnicrm.auth.rbac import requires
from omnicrm.auth.identity import require_permission
from omnicrm.common.listing import list_parser, parse_list_params
from omnicrm.common.validation import json_body
from omnicrm.services import service as services
from omnicrm.services.models import EDITABLE_FIELDS, SERVICE_STATUSES

ns = Namespace("service", description="Customer services: records, list, bulk operations, live balances",
               path="/service")

service_write_model = ns.model("ServiceWrite", {
    "customer_id": fields.Integer(required=True), "product_id": fields.Integer,
    "service_name": fields.String(required=True, example="Mobile SIM - 0412345678"),
    "service_uuid": fields.String(description="CGRateS account; generated (ServiceType_xxxxxxxx) when absent"),
    "service_type": fields.String(example="mobile"), "service_status": fields.String(enum=list(SERVICE_STATUSES)),
    "icon": fields.String, "retail_cost": fields.String(example="30.00"), "wholesale_cost": fields.String,
    "service_billed": fields.Boolean, "service_taxable": fields.Boolean, "promo_code": fields.String,
    "service_visible_to_customer": fields.Boolean, "service_usage_visible_to_customer": fields.Boolean,
    "service_provisioned_date": fields.String, "service_active_date": fields.String,
    "service_deactivate_date": fields.String, "contract_end_date": fields.String, "site_id": fields.Integer,
    "provisioning_play": fields.String, "provisioning_json_vars": fields.Raw,
    "deprovisioning_play": fields.String, "deprovisioning_json_vars": fields.Raw,
    "bundled_parent": fields.Integer(description="Parent service when part of a bundle"),
    "service_notes": fields.String,
})
service_patch_model = ns.model("ServicePatch", {name: fields.Raw for name in EDITABLE_FIELDS})
bulk_model = ns.model("ServiceBulk", {
    "action": fields.String(required=True, enum=list(services.BULK_ACTIONS)),
    "service_ids": fields.List(fields.Integer, required=True),
    "service_status": fields.String(description="With action set_status", enum=list(SERVICE_STATUSES)),
})
VIEW = dict(own="view_own_customer_service")


def _detail(service):
    from omnicrm.ocs.service import live_ocs_block
    body = services.service_to_dict(service)
    body["bundled_services"] = services.bundled_children(service)
    body.update(live_ocs_block(service))
    return body


@ns.route("/")
class ServiceCollection(Resource):
    @requires("view_customer_service", **VIEW)
    @ns.expect(list_parser)
    @ns.response(200, "Services: {data, pagination}")
    def get(self):
        """Service management list: page, per_page, sort, order, search, filters (service_status, service_type,
        customer_id, product_id, site_id, bundled_parent). Newest first by default; no CGRateS calls."""
        params = parse_list_params()
        if not request.args.get("sort") and not request.args.get("order"):
            params.order = "desc"
        return services.list_services(params)

    @requires("create_customer_service")
    @ns.expect(service_write_model)
    @ns.response(200, "Created; the body carries service_id")
    @ns.response(409, "service_uuid already used")
    def put(self):
        """Create a service (playbooks call this; spec 04 §6.2)."""
        service = services.create_service(json_body())
        db.session.commit()
        return services.service_to_dict(service), 200

    @requires("create_customer_service")
    @ns.expect(service_write_model)
    @ns.response(200, "Created; the body carries service_id")
    def post(self):
        """Same as PUT (the spec says PUT/POST)."""
        return self.put()


def _read(service_id):
    return _detail(services.get_service(service_id))


def _patch(service_id):
    service = services.get_service(service_id)
    changes = services.update_service(service, json_body())
    db.session.commit()
    body = _detail(service)
    body["changes"] = changes
    return body


def _delete(service_id):
    outcome = services.delete_service(services.get_service(service_id))
    db.session.commit()
    return {"message": f"Service {service_id} deleted", **outcome}


@ns.route("/<int:service_id>", "/service_id/<int:service_id>")
@ns.param("service_id", "Service id")
class ServiceItem(Resource):
    @requires("view_customer_service", **VIEW)
    @ns.response(200, "The service with its live CGRateS balances and ActionPlans (or ocs_error)")
    @ns.response(404, "No such service")
    def get(self, service_id):
        """One service, with live balances and ActionPlans from CGRateS (spec 04 §13.2)."""
        return _read(service_id)

    @requires("update_customer_service")
    @ns.expect(service_patch_model)
    @ns.response(200, "Updated; `changes` lists what changed")
    @ns.response(400, "A read-only or unknown field, or a bad value: nothing changed")
    def patch(self, service_id):
        """Edit the editable fields only (spec 04 §6.1); a status change stamps its date and syncs CGRateS."""
        return _patch(service_id)

    @requires("delete_customer_service")
    @ns.response(200, "Deleted")
    @ns.response(503, "CGRateS unreachable: the auto-renewals could not be stopped, nothing deleted")
    def delete(self, service_id):
        """Delete the service: auto-renewals removed in CGRateS, inventory back in stock, activity logged."""
        return _delete(service_id)


@ns.route("/service_uuid/<string:service_uuid>")
@ns.param("service_uuid", "The service's CGRateS account id")
class ServiceByUuid(Resource):
    @requires("view_customer_service", **VIEW)
    @ns.response(200, "The service, as GET /crm/service/{id}")
    @ns.response(404, "No service with this service_uuid")
    def get(self, service_uuid):
        """One service found by its service_uuid."""
        return _detail(services.get_service_by_uuid(service_uuid))


@ns.route("/bulk")
class ServiceBulk(Resource):
    @requires("update_customer_service", "delete_customer_service")
    @ns.expect(bulk_model)
    @ns.response(200, "Per-item report: {action, succeeded, failed, results: [{service_id, ok, ...}]}")
    def post(self):
        """Apply one action (delete, set_status) to many services; each item is done fully or not at all."""
        action, ids, status = services.check_bulk_request(json_body())
        require_permission("delete_customer_service" if action == "delete" else "update_customer_service")
        return services.bulk_operation(action, ids, status)


cancel_model = ns.model("ServiceCancel", {"reason": fields.String(required=True, example="Moving abroad")})


@ns.route("/<int:service_id>/cancel", "/service_id/<int:service_id>/cancel")
@ns.param("service_id", "Service id")
class ServiceCancel(Resource):
    @requires("update_customer_service", **VIEW)
    @ns.expect(cancel_model)
    @ns.response(200, "Pending Cancellation: renewals stop, deprovisioned at grace_period_end unless paid")
    @ns.response(409, "The service is not Active")
    def post(self, service_id):
        """Cancel Service (spec 06 §11.2): the service moves to Pending Cancellation for the grace period
        (`lifecycle.grace_period_days`); setting it Active again within the period reverts it."""
        from omnicrm.common.validation import Checker
        from omnicrm.services.lifecycle import request_cancellation
        check = Checker(json_body())
        check.reject_unknown(("reason",))
        reason = check.string("reason", required=True, max_length=500)
        check.done()
        service = request_cancellation(services.get_service(service_id), reason)
        db.session.commit()
        return _detail(service)


@ns.route("/<int:service_id>/usage", "/service_id/<int:service_id>/usage")
@ns.param("service_id", "Service id")
class ServiceUsage(Resource):
    @requires("view_customer_service", **VIEW)
    @ns.response(200, "Balances per unit type in human units, for polling (spec 05 §4)")
    @ns.response(404, "No such service, no OCS account, or usage hidden from the customer")
    @ns.response(503, "CGRateS unreachable")
    def get(self, service_id):
        """Live usage and balances of one service, for the usage view that polls every 3 s (?dongle=true hides
        voice and SMS)."""
        from omnicrm.ocs.service import service_usage
        dongle = request.args.get("dongle", "").lower() in ("1", "true", "yes")
        return service_usage(services.get_service(service_id), dongle=dongle)


namespaces = [ns]
