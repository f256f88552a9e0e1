"""/crm/transaction: customer charges and credits (spec 07 §4; the playbooks' `PUT /crm/transaction/`)."""
from flask_restx import Namespace, Resource, fields

from omnicrm import db
from omnicrm.auth.identity import ensure_customer_visible
from omnicrm.auth.rbac import requires
from omnicrm.billing import service
from omnicrm.billing.models import Transaction
from omnicrm.common.listing import list_parser, paginate, parse_list_params
from omnicrm.common.validation import json_body

ns = Namespace("transaction", description="Customer transactions (charges and credits)", path="/transaction")

transaction_model = ns.model("Transaction", {
    "transaction_id": fields.Integer(readonly=True), "customer_id": fields.Integer(required=True),
    "service_id": fields.Integer, "site_id": fields.Integer,
    "invoice_id": fields.Integer(description="Null when created; set by invoice generation"),
    "title": fields.String(required=True), "description": fields.String,
    "transaction_type": fields.String(enum=["debit", "credit"], default="debit"),
    "credit_type": fields.String(description="Cash, Card or Bank Transfer (credits)"),
    "retail_cost": fields.String(required=True, example="50.00", description="Positive; credits stored negative"),
    "wholesale_cost": fields.String, "tax_percentage": fields.String(example="10"),
    "tax_amount": fields.String(readonly=True), "void": fields.Boolean(readonly=True),
    "created": fields.String, "last_modified": fields.String(readonly=True)})

SORTABLE = {"transaction_id": Transaction.transaction_id, "created": Transaction.created,
            "title": Transaction.title, "retail_cost": Transaction.retail_cost,
            "invoice_id": Transaction.invoice_id}
FILTERABLE = {"void": service.void_filter, "billed": service.billed_filter, "service_id": Transaction.service_id,
              "invoice_id": Transaction.invoice_id, "transaction_type": Transaction.transaction_type}


@ns.route("/")
class TransactionCollection(Resource):
    @requires("create_customer_transaction")
    @ns.expect(transaction_model)
    @ns.response(200, "Created", transaction_model)
    @ns.response(400, "Invalid transaction: nothing written")
    def put(self):
        """Add a charge or credit; tax_amount = retail_cost × tax_percentage / 100 (debits only)."""
        row = service.create_transaction(json_body())
        db.session.commit()
        return service.transaction_to_dict(row)

    @requires("create_customer_transaction")
    @ns.expect(transaction_model)
    @ns.response(200, "Created", transaction_model)
    @ns.response(400, "Invalid transaction: nothing written")
    def post(self):
        """Same as PUT: spec 04 §4.9 lists `POST /crm/transaction/` for playbooks."""
        return self.put()


@ns.route("/transaction_id/<int:transaction_id>")
class TransactionItem(Resource):
    @requires("view_customer_transaction", own="view_own_customer_transaction")
    @ns.response(200, "The transaction", transaction_model)
    def get(self, transaction_id):
        """One transaction."""
        row = service.get_transaction(transaction_id)
        ensure_customer_visible(row.customer_id)
        return service.transaction_to_dict(row)

    @requires("update_customer_transaction")
    @ns.response(200, "Voided", transaction_model)
    @ns.response(409, "Already invoiced")
    def delete(self, transaction_id):
        """Void an unbilled transaction (it stays listed as void and is never invoiced)."""
        row = service.void_transaction(service.get_transaction(transaction_id))
        db.session.commit()
        return service.transaction_to_dict(row)


@ns.route("/customer_id/<int:customer_id>")
class CustomerTransactions(Resource):
    @requires("view_customer_transaction", own="view_own_customer_transaction")
    @ns.expect(list_parser)
    def get(self, customer_id):
        """A customer's transactions in the list convention. Voided rows are hidden unless filtered on `void`
        (`{"void": [true]}` voided only, `[true, false]` all); `billed` true/false; search matches ID, title,
        description and invoice ID."""
        ensure_customer_visible(customer_id)
        return paginate(service.customer_transactions_query(customer_id),
                        service.hide_void_by_default(parse_list_params()), sortable=SORTABLE,
                        default_sort="transaction_id", filterable=FILTERABLE, search_clause=service.search_clause,
                        serialize=service.transaction_to_dict)


namespaces = [ns]
