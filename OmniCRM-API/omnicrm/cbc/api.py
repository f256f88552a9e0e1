"""/crm/cbc: Cell Broadcast alerts (spec 05 §8.6) with approval, retry, templates, text counting and zones.
Staff only: no endpoint here is open to customer users."""
from flask import request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.rbac import requires
from omnicrm.cbc import service
from omnicrm.cbc.identifiers import IDENTIFIERS, TEMPLATES, describe
from omnicrm.cbc.models import CBC_STATUSES, CbcMessage, CbcZone
from omnicrm.cbc.text import text_info
from omnicrm.common.listing import list_parser, paginate, parse_list_params
from omnicrm.common.validation import Checker, json_body
from omnicrm.errors import NotFound

ns = Namespace("cbc", description="Cell Broadcast public warnings (CBE -> CBC)", path="/cbc")

localized = ns.model("CbcLocalizedMessage", {"language": fields.String(example="en"),
                                             "messageBody": fields.String})
area = ns.model("CbcTrackingArea", {"tracking_area": fields.String(example="12345"), "cell_id": fields.String,
                                    "operator": fields.String(example="310-410"),
                                    "rat_type": fields.String(enum=list(service.RAT_TYPES))})
message_in = ns.model("CbcMessageInput", {
    "messageIdentifier": fields.String(example="4352", description="3GPP TS 23.041: ETWS 4352-4359, CMAS "
                                                                   "4370-4399"),
    "category": fields.String(enum=["normal", "emergency", "high", "extreme"]),
    "repetitionPeriod": fields.Integer(example=10), "numberOfBroadcasts": fields.Integer(example=999),
    "warningPeriodSec": fields.Integer(example=3600), "channelIndicator": fields.String(example="basic"),
    "template": fields.String(example="earthquake"),
    "localized_messages": fields.List(fields.Nested(localized)), "tracking_areas": fields.List(fields.Nested(area)),
    "zone_ids": fields.List(fields.Integer, description="saved zones whose tracking areas are added"),
    "all_cells": fields.Boolean(description="must be true to send with no tracking area (every cell)"),
    "draft": fields.Boolean(description="keep as a draft instead of submitting"),
    "totp_code": fields.String(description="ignored (kept for old clients): an in-flight update of an "
                                           "approval-guarded alert waits for a second person's approval"),
})
message_out = ns.model("CbcMessage", {
    "cbc_message_id": fields.Integer, "cbc_unique_id": fields.String, "messageIdentifier": fields.String,
    "category": fields.String, "status": fields.String(enum=list(CBC_STATUSES)), "initiating_user": fields.Integer,
    "approving_user": fields.Integer, "created": fields.String, "sent_at": fields.String,
    "expires_at": fields.String, "last_error": fields.String, "cbc_ack": fields.Raw,
    "localized_messages": fields.List(fields.Nested(localized)), "tracking_areas": fields.List(fields.Nested(area)),
    "history": fields.Raw,
    "pending_update": fields.Raw(description="an in-flight update waiting for a second person: {values, changes, "
                                             "proposed_by, proposed_by_email, proposed_at}, or null"),
})
totp_in = ns.model("CbcApproval", {"totp_code": fields.String(required=True, description="the approver's own code")})
reject_in = ns.model("CbcRejection", {"reason": fields.String(required=True)})
zone_in = ns.model("CbcZoneInput", {
    "name": fields.String, "shape": fields.String(enum=list(service.SHAPES)),
    "coordinates": fields.Raw(description="polygon: [{lat,lng}...]; circle: {center:{lat,lng}, radius_m}; "
                                          "rectangle: {south_west:{lat,lng}, north_east:{lat,lng}}"),
    "tracking_areas": fields.List(fields.Nested(area))})

SORTABLE = {"cbc_message_id": CbcMessage.cbc_message_id, "created": CbcMessage.created,
            "status": CbcMessage.status, "messageIdentifier": CbcMessage.message_identifier,
            "category": CbcMessage.category, "sent_at": CbcMessage.sent_at}
FILTERABLE = {"status": CbcMessage.status, "category": CbcMessage.category,
              "messageIdentifier": CbcMessage.message_identifier, "initiating_user": CbcMessage.initiating_user,
              "approving_user": CbcMessage.approving_user}


def _render(msg, status=200):
    return db.commit_rendered(service.message_to_dict, msg, True), status


@ns.route("/")
class CbcMessages(Resource):
    @requires("VIEW_CBC_MESSAGE")
    @ns.expect(list_parser)
    @ns.response(200, "Alerts, newest first by default")
    def get(self):
        """List alerts with status and configuration; filters: status, category, messageIdentifier, users."""
        service.refresh_expired()
        params = parse_list_params()
        if not params.sort and "order" not in request.args:
            params.order = "desc"
        return paginate(select(CbcMessage), params, sortable=SORTABLE, default_sort="cbc_message_id",
                        serialize=service.message_to_dict, filterable=FILTERABLE,
                        searchable=(CbcMessage.message_identifier, CbcMessage.cbc_unique_id))

    @requires("CREATE_CBC_MESSAGE")
    @ns.expect(message_in)
    @ns.response(201, "Created: draft, pending approval, active, or failed (CBC did not accept)", message_out)
    @ns.response(400, "Invalid fields (a text too long names its language)")
    def put(self):
        """Create an alert; sent to the CBC at once unless it is a draft or the policy needs a second person."""
        return _render(service.create_message(json_body()), 201)


@ns.route("/<int:cbc_message_id>")
class CbcMessageItem(Resource):
    @requires("VIEW_CBC_MESSAGE")
    @ns.response(200, "The alert with its audit history", message_out)
    def get(self, cbc_message_id):
        """One alert, its CBC acknowledgement and its history (who created, approved, updated, cancelled)."""
        service.refresh_expired()
        return service.message_to_dict(service.get_message(cbc_message_id), with_history=True)

    @requires("UPDATE_CBC_MESSAGE")
    @ns.expect(message_in)
    @ns.response(200, "Updated (re-sent to the CBC when it was broadcasting), or held as a pending update",
                 message_out)
    @ns.response(409, "Expired or cancelled")
    def patch(self, cbc_message_id):
        """Change text, targeting or broadcast parameters; an active alert is re-sent to the CBC, except one the
        approval policy guards: its update is held as `pending_update` until another approver approves it."""
        msg = service.get_message(cbc_message_id, lock=True)
        service.update_message(msg, json_body())
        return _render(msg)

    @requires("DELETE_CBC_MESSAGE")
    @ns.response(200, "Cancelled (at the CBC too when it had been sent)", message_out)
    @ns.response(503, "The CBC could not confirm the cancel: nothing changed, the alert is still broadcasting")
    def delete(self, cbc_message_id):
        """Stop an alert: cancelled at the CBC and kept as "cancelled" for the audit history."""
        msg = service.get_message(cbc_message_id, lock=True)
        service.cancel(msg)
        return _render(msg)


@ns.route("/<int:cbc_message_id>/submit")
class CbcSubmit(Resource):
    @requires("CREATE_CBC_MESSAGE")
    @ns.response(200, "Pending approval, or sent", message_out)
    def post(self, cbc_message_id):
        """Submit a draft: to the approval inbox when the policy needs a second person, else to the CBC."""
        msg = service.get_message(cbc_message_id, lock=True)
        service.submit(msg)
        return _render(msg)


@ns.route("/<int:cbc_message_id>/approve")
class CbcApprove(Resource):
    @requires("approve_cbc_message")
    @ns.expect(totp_in)
    @ns.response(200, "Approved and sent (active), or approved and failed at the CBC (retried)", message_out)
    @ns.response(400, "Wrong TOTP code")
    @ns.response(403, "The creator, or an approver without 2FA")
    def post(self, cbc_message_id):
        """Second-person approval with the approver's own TOTP code; the alert (or its pending update, which its
        proposer cannot approve) then goes to the CBC."""
        data = json_body()
        msg = service.get_message(cbc_message_id, lock=True)
        service.approve(msg, data.get("totp_code"))
        return _render(msg)


@ns.route("/<int:cbc_message_id>/reject")
class CbcReject(Resource):
    @requires("approve_cbc_message")
    @ns.expect(reject_in)
    @ns.response(200, "Back to draft with the reason in the history", message_out)
    def post(self, cbc_message_id):
        """Reject an alert pending approval (it returns to its creator as a draft), or discard the pending update
        of a live alert (it keeps broadcasting its current version)."""
        check = Checker(json_body())
        check.string("reason", required=True, max_length=500)
        values = check.done()
        msg = service.get_message(cbc_message_id, lock=True)
        service.reject(msg, values["reason"])
        return _render(msg)


@ns.route("/<int:cbc_message_id>/retry")
class CbcRetry(Resource):
    @requires("UPDATE_CBC_MESSAGE")
    @ns.response(200, "Sent (active) or still failed", message_out)
    def post(self, cbc_message_id):
        """Send a failed alert again now (the `omnicrm cbc-retry` job does this on a schedule)."""
        msg = service.get_message(cbc_message_id, lock=True)
        service.retry(msg)
        return _render(msg)


@ns.route("/templates")
class CbcTemplates(Resource):
    @requires("VIEW_CBC_MESSAGE", "CREATE_CBC_MESSAGE")
    def get(self):
        """Alert templates with their 3GPP identifier, category, severity and texts."""
        return {"data": [{**t, "identifier": describe(t["messageIdentifier"])} for t in TEMPLATES]}


@ns.route("/message_identifiers")
class CbcIdentifiers(Resource):
    @requires("VIEW_CBC_MESSAGE", "CREATE_CBC_MESSAGE")
    def get(self):
        """The public warning message identifiers of 3GPP TS 23.041 the API accepts."""
        return {"data": [describe(mi) for mi in sorted(IDENTIFIERS)]}


@ns.route("/text_info")
class CbcTextInfo(Resource):
    @requires("VIEW_CBC_MESSAGE", "CREATE_CBC_MESSAGE")
    def post(self):
        """Encoding (GSM-7 or UCS-2), characters, pages and remaining characters of a text."""
        check = Checker(json_body())
        check.string("messageBody", required=True, max_length=None)
        return text_info(check.done()["messageBody"])


@ns.route("/map_config")
class CbcMapConfig(Resource):
    @requires("VIEW_CBC_MESSAGE", "CREATE_CBC_MESSAGE")
    def get(self):
        """The map's tile server (empty: no tiles, coordinates only) and its attribution."""
        return service.map_settings()


@ns.route("/zones")
class CbcZones(Resource):
    @requires("VIEW_CBC_MESSAGE", "CREATE_CBC_MESSAGE")
    def get(self):
        """Saved target zones with their shape and tracking areas."""
        zones = db.session.scalars(select(CbcZone).order_by(CbcZone.name)).all()
        return {"data": [service.zone_to_dict(z) for z in zones]}

    @requires("CREATE_CBC_MESSAGE")
    @ns.expect(zone_in)
    def put(self):
        """Save a zone (polygon, circle or rectangle) and the tracking areas it covers."""
        zone = service.save_zone(service.check_zone(json_body()))
        return db.commit_rendered(service.zone_to_dict, zone), 201


@ns.route("/zones/<int:zone_id>")
class CbcZoneItem(Resource):
    @requires("UPDATE_CBC_MESSAGE")
    @ns.expect(zone_in)
    def patch(self, zone_id):
        """Edit a saved zone."""
        zone = _zone(zone_id)
        zone = service.save_zone(service.check_zone(json_body(), existing=zone), zone)
        return db.commit_rendered(service.zone_to_dict, zone)

    @requires("DELETE_CBC_MESSAGE")
    def delete(self, zone_id):
        """Delete a saved zone (alerts keep the tracking areas they were sent to)."""
        zone = _zone(zone_id)
        activity.record("cbc_zone", zone.zone_id, "delete", f"Cell broadcast zone {zone.name} deleted")
        db.session.delete(zone)
        db.session.commit()
        return {"deleted": zone_id}


def _zone(zone_id):
    zone = db.session.get(CbcZone, zone_id)
    if zone is None:
        raise NotFound(f"Zone {zone_id} not found")
    return zone


namespaces = [ns]
