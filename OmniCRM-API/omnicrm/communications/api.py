"""/crm/communication: the e-mails the CRM sent, failed to send, or recorded while Mailjet is not configured."""
from flask import request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.identity import customer_scope, ensure_customer_visible
from omnicrm.auth.rbac import requires
from omnicrm.common.listing import list_parser, paginate, parse_list_params
from omnicrm.communications.models import Communication
from omnicrm.communications.service import communication_to_dict
from omnicrm.customers.service import get_customer
from omnicrm.errors import NotFound

ns = Namespace("communication", description="E-mails sent through Mailjet and the recorded outbox",
               path="/communication")

communication_model = ns.model("Communication", {
    "communication_id": fields.Integer, "template_key": fields.String(description="mailjet.<key>; null for plain"),
    "template_id": fields.Integer, "from_email": fields.String, "from_name": fields.String,
    "to_email": fields.String(description="Recipients, comma-separated"), "subject": fields.String,
    "variables": fields.Raw(description='Template variables; links carrying a credential are shown as "***"'),
    "text_part": fields.String, "attachments": fields.List(fields.String),
    "status": fields.String(enum=["sent", "recorded", "queued", "failed", "sending", "given_up"]),
    "provider_message_id": fields.String, "error": fields.String, "customer_id": fields.Integer,
    "created": fields.String, "attempts": fields.Integer(description="Sends tried so far"),
    "next_attempt_at": fields.String(description="When a failed e-mail is tried again; null: not retried"),
    "invoice_id": fields.Integer(description="The invoice an invoice e-mail carries"),
})
communication_list_model = ns.model("CommunicationList", {
    "data": fields.List(fields.Nested(communication_model)),
    "pagination": fields.Raw,
})

SORTABLE = {"communication_id": Communication.communication_id, "created": Communication.created,
            "status": Communication.status, "template_key": Communication.template_key,
            "to_email": Communication.to_email}
FILTERABLE = {"status": Communication.status, "template_key": Communication.template_key,
              "customer_id": Communication.customer_id, "invoice_id": Communication.invoice_id}


def _list(customer_id=None):
    params = parse_list_params()
    if not params.sort and "order" not in request.args:
        params.order = "desc"
    stmt = select(Communication)
    scope = customer_scope()
    if scope is not None:
        stmt = stmt.where(Communication.customer_id == scope)
    if customer_id is not None:
        stmt = stmt.where(Communication.customer_id == customer_id)
    return paginate(stmt, params, sortable=SORTABLE, default_sort="communication_id",
                    serialize=communication_to_dict, searchable=(Communication.to_email, Communication.subject),
                    filterable=FILTERABLE)


@ns.route("/")
class Communications(Resource):
    @requires("view_communication", own="view_own_communication")
    @ns.expect(list_parser)
    @ns.response(200, "E-mails, newest first by default", communication_list_model)
    def get(self):
        """List e-mails; search matches recipient and subject; filters: status, template_key, customer_id,
        invoice_id."""
        return _list()


@ns.route("/customer_id/<int:customer_id>")
class CustomerCommunications(Resource):
    @requires("view_communication", own="view_own_communication")
    @ns.expect(list_parser)
    @ns.response(200, "The customer's e-mails, newest first by default", communication_list_model)
    @ns.response(404, "No such customer (or another customer's, for a customer user)")
    def get(self, customer_id):
        """A customer's communications history: every e-mail sent, recorded or failed, with status, template,
        subject and date (same search, filters and sorting as the full list)."""
        get_customer(customer_id)
        ensure_customer_visible(customer_id)
        return _list(customer_id)


@ns.route("/<int:communication_id>")
class CommunicationItem(Resource):
    @requires("view_communication", own="view_own_communication")
    @ns.response(200, "The e-mail", communication_model)
    @ns.response(404, "Not found")
    def get(self, communication_id):
        """One e-mail with its status, Mailjet message id or error."""
        row = db.session.get(Communication, communication_id)
        if row is None:
            raise NotFound(f"Communication {communication_id} not found")
        ensure_customer_visible(row.customer_id)
        return communication_to_dict(row)


namespaces = [ns]
