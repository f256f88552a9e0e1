"""The public top-up portal's API under /oam (spec 05 §10.5-10.6), with its own Swagger at /oam/docs.

No login (ambiguity A24): a top-up is protected by the PaymentIntent verified with Stripe (succeeded, exact price,
made for this service, used once), the service_uuid ↔ IMSI match and a per-address rate limit; the usage view
answers only for the service whose IP address the request comes from (docs/decisions.md, "Hotspot top-up").
"""
from flask import Blueprint, request
from flask_restx import Api, Namespace, Resource, fields

from omnicrm.api import install_error_handlers
from omnicrm.auth.guards import ensure_automated_caller
from omnicrm.auth.authenticate import client_ip
from omnicrm.auth.rbac import public, requires
from omnicrm.common.listing import paginate, parse_list_params
from omnicrm.common.validation import json_body
from omnicrm.topup import service as topups

blueprint = Blueprint("oam", __name__, url_prefix="/oam")
api = Api(blueprint, title="OmniCRM top-up portal API", version="1.0", doc="/docs",
          description="Public endpoints of the prepaid top-up portal (no login). Staff endpoints are under /crm "
                      "(Swagger at /crm/docs).")
install_error_handlers(api)
ns = Namespace("oam", description="Public prepaid top-up portal: usage, PaymentIntent, top-up", path="/")

order_model = ns.model("TopupPaymentIntentRequest", {
    "service_uuid": fields.String(required=True, example="Mobile_SIM_c2880638"),
    "imsi": fields.String(required=True, example="310120123456789"),
    "days": fields.Integer(required=True, min=1, max=30, example=7),
    "email": fields.String(description="Stripe sends its receipt here"),
})
topup_model = ns.model("TopupDongleRequest", {
    "service_uuid": fields.String(required=True, example="Mobile_SIM_c2880638"),
    "imsi": fields.String(required=True, example="310120123456789"),
    "days": fields.Integer(required=True, min=1, max=30, example=7),
    "payment_intent_id": fields.String(required=True, example="pi_1234567890abcdef"),
    "topup_amount": fields.Fixed(decimals=2, required=True, example=70.00,
                                 description="days × topup.price_per_day, in the configured currency"),
    "first_name": fields.String, "last_name": fields.String, "email": fields.String,
})
topup_result = ns.model("TopupDongleResult", {
    "result": fields.String(example="OK", description="OK, Pending or Failed"),
    "status": fields.Integer(example=200), "provision_id": fields.Integer, "payment_intent_id": fields.String,
    "service_uuid": fields.String, "invoice_id": fields.Integer, "transaction_id": fields.Integer,
    "expiry": fields.String(description="The service's new expiry (UTC)"),
    "Reason": fields.String(description="Only when result is Failed"),
})


@ns.route("/usage")
class Usage(Resource):
    @public
    @ns.param("imsi", "Identify by IMSI instead of the address (only when topup.usage_by_imsi is true)")
    @ns.response(200, "{imsi, service: {service_uuid, service_name, service_status}, balance: {expiry, unlimited},"
                      " requestingIp, topup: {price_per_day, currency, min_days, max_days}}")
    @ns.response(404, "No service has the requesting IP address")
    @ns.response(429, "Too many requests from this address")
    def get(self):
        """The service of the requesting device (by its IP address), its expiry and the top-up price list."""
        ip = client_ip()
        topups.rate_limit(ip, "usage")
        return topups.usage(ip, request.args.get("imsi") or None)


@ns.route("/topup_payment_intent")
class TopupPaymentIntent(Resource):
    @public
    @ns.expect(order_model)
    @ns.response(200, "{payment_intent_id, client_secret, topup_amount, amount, currency, days, service_uuid}")
    @ns.response(400, "Missing or invalid field")
    @ns.response(404, "No service matches this service_uuid and IMSI")
    @ns.response(503, "Stripe unreachable or card payments not configured")
    def post(self):
        """Create the Stripe PaymentIntent for `days` of a service at the backend price (for Stripe Elements)."""
        topups.rate_limit(client_ip(), "payment_intent")
        return topups.create_payment_intent(json_body())


@ns.route("/topup_dongle")
class TopupDongle(Resource):
    @public
    @ns.expect(topup_model)
    @ns.response(200, "Topped up: result OK, provision_id, invoice_id", topup_result)
    @ns.response(202, "Paid and still provisioning: result Pending; ask GET /oam/topup_dongle/{payment_intent_id}")
    @ns.response(400, "Missing field, or 'Payment intent amount does not match'")
    @ns.response(402, "The PaymentIntent has not succeeded")
    @ns.response(404, "No service matches this service_uuid and IMSI")
    @ns.response(409, "Payment intent already processed")
    @ns.response(429, "Too many requests from this address")
    @ns.response(502, "Provisioning failed: result Failed with Reason; the payment was refunded")
    @ns.response(503, "Stripe unreachable: nothing was recorded")
    def post(self):
        """Top up a service with the days a succeeded PaymentIntent paid for (usable once)."""
        ip = client_ip()
        topups.rate_limit(ip, "topup")
        return topups.topup(json_body(), ip)


@ns.route("/topup_dongle/<string:payment_intent_id>")
class TopupStatus(Resource):
    @public
    @ns.response(200, "Topped up (same body as the POST)")
    @ns.response(202, "Still provisioning")
    @ns.response(404, "No top-up was made with this PaymentIntent")
    @ns.response(502, "Failed (refunded or not)")
    def get(self, payment_intent_id):
        """The outcome of a top-up, for a portal whose POST answered Pending."""
        topups.rate_limit(client_ip(), "status")
        return topups.status_of(payment_intent_id)


api.add_namespace(ns)


# Staff: every top-up of the portal, for monitoring failures and refunds (spec 05 §10.7), under /crm.
staff_ns = Namespace("hotspot_topup", description="Top-ups bought on the public portal (monitoring)",
                     path="/hotspot_topup")


@staff_ns.route("/")
class HotspotTopups(Resource):
    @requires("view_customer_transaction")
    @staff_ns.response(200, "{data: [...], pagination}; filters status, customer_id, service_id; search: "
                            "PaymentIntent id or service_uuid; sort hotspot_topup_id (default), created, status")
    def get(self):
        """Every portal top-up with its status (Pending, Success, Failed, Refunded), job, invoice and refund."""
        return paginate(topups.list_query(), parse_list_params(), sortable=topups.SORTABLE,
                        default_sort="hotspot_topup_id", filterable=topups.FILTERABLE,
                        search_clause=topups.search_clause, serialize=topups.topup_to_dict)


@staff_ns.route("/balance_event/<string:event>")
class BalanceEvent(Resource):
    @requires("create_communication")
    @staff_ns.response(200, "{service_uuid, event, sent}: the customer's contacts were e-mailed the portal link")
    @staff_ns.response(403, "Only API keys and whitelisted addresses (the OCS) may send it")
    @staff_ns.response(404, "Unknown event or OCS account")
    def post(self, event):
        """Low-balance notification from the OCS (Action_Balance_Low, Action_Balance_Out, Action_Balance_Expired):
        the body is the CGRateS account a *http_post action sends (spec 05 §10.10)."""
        ensure_automated_caller("A balance event (an OCS callback)")
        return topups.balance_event(event, request.get_json(silent=True) or {})


namespaces = [staff_ns]
