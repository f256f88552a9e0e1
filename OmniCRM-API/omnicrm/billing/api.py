"""/crm/transaction: customer charges and credits (spec 07 §4; the playbooks' `PUT /crm/transaction/`)."""
from flask import Response, request
from flask_restx import Namespace, Resource, fields

from omnicrm import db
from omnicrm.auth.identity import customer_scope, ensure_customer_visible
from omnicrm.auth.rbac import requires
from omnicrm.billing import events, invoice_pdf, invoices, mail, service
from omnicrm.billing.models import Transaction
from omnicrm.common.listing import list_parser, paginate, parse_list_params
from omnicrm.common.validation import json_body
from omnicrm.communications.service import communication_to_dict
from omnicrm.errors import Conflict

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
    @requires("view_customer_transaction", own="view_own_customer_transaction")
    @ns.expect(list_parser)
    def get(self):
        """Every customer's transactions (Billing → Transactions), same list convention as a customer's: voided
        rows hidden unless filtered on `void`; filters billed, void, customer_id, invoice_id, transaction_type."""
        return paginate(service.all_transactions_query(), service.hide_void_by_default(parse_list_params()),
                        sortable=SORTABLE, default_sort="transaction_id",
                        filterable={**FILTERABLE, "customer_id": Transaction.customer_id},
                        search_clause=service.search_clause, serialize=service.transaction_to_dict)

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


@ns.route("/stats")
class TransactionStatistics(Resource):
    @requires("view_customer_transaction", own="view_own_customer_transaction")
    def get(self):
        """The four widgets of spec 07 §4.4 (voided transactions not counted), month trends in percent."""
        return service.statistics()


@ns.route("/customer_id/<int:customer_id>/stats")
class CustomerTransactionStatistics(Resource):
    @requires("view_customer_transaction", own="view_own_customer_transaction")
    def get(self, customer_id):
        """The transaction widgets for one customer."""
        ensure_customer_visible(customer_id)
        service.customer_transactions_query(customer_id)  # 404 for a missing customer
        return service.statistics(customer_id)


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



invoice_ns = Namespace("invoice", description="Customer invoices (spec 07 §2)", path="/invoice")
VIEW_INVOICE = dict(own="view_own_customer_invoice")

invoice_model = invoice_ns.model("Invoice", {
    "invoice_id": fields.Integer(readonly=True), "customer_id": fields.Integer, "title": fields.String,
    "start_date": fields.String, "end_date": fields.String, "due_date": fields.String,
    "retail_cost": fields.String(description="Total payable: subtotal + tax"), "paid": fields.Boolean,
    "void": fields.Boolean, "refunded": fields.Boolean, "status": fields.String(enum=["Paid", "Unpaid", "Refunded"]),
    "overdue": fields.Boolean(description="Unpaid, not voided, past its due date"),
    "payment_method": fields.String, "payment_reference": fields.String, "refund_reference": fields.String,
    "created": fields.String, "last_modified": fields.String})
generate_model = invoice_ns.model("GenerateInvoice", {
    "customer_id": fields.Integer(required=True), "title": fields.String(description='Default "Invoice for [Period]"'),
    "start_date": fields.String(required=True, example="2026-01-01"),
    "end_date": fields.String(required=True, example="2026-01-31"),
    "due_date": fields.String(required=True, example="2026-02-14"),
    "transaction_ids": fields.List(fields.Integer, description="The chosen subset; all unbilled in range if absent")})
preview_model = invoice_ns.model("PreviewInvoice", {
    "customer_id": fields.Integer(required=True), "start_date": fields.String(required=True),
    "end_date": fields.String(required=True)})
pay_model = invoice_ns.model("PayInvoice", {
    "payment_method": fields.String(required=True, enum=list(invoices.PAYMENT_METHODS)),
    "payment_reference": fields.String, "payment_date": fields.String(description="Default now")})


def _invoice_list(customer_id=None):
    return paginate(invoices.list_query(customer_id), parse_list_params(), sortable=invoices.SORTABLE,
                    default_sort="invoice_id", filterable=invoices.FILTERABLE, search_clause=invoices.search_clause,
                    serialize=invoices.invoice_to_dict)


@invoice_ns.route("/")
class InvoiceCollection(Resource):
    @requires("view_customer_invoice", **VIEW_INVOICE)
    @invoice_ns.expect(list_parser)
    def get(self):
        """All invoices (a customer user: its own) in the list convention; search ID, title, customer name;
        filters `void` and `paid` (true/false); sort invoice_id, title, due_date, created, retail_cost, paid."""
        return _invoice_list()

    @requires("create_customer_invoice")
    @invoice_ns.expect(generate_model)
    @invoice_ns.response(200, "Generated", invoice_model)
    @invoice_ns.response(400, "No transactions found, or invalid input: nothing written")
    @invoice_ns.response(409, "A chosen transaction was billed or voided meanwhile")
    def put(self):
        """Generate an unpaid invoice from a customer's unbilled transactions in a date range."""
        invoice = invoices.generate(json_body())
        db.session.commit()
        return invoices.detail(invoice)

    @requires("create_customer_invoice")
    @invoice_ns.expect(generate_model)
    def post(self):
        """Same as PUT."""
        return self.put()


@invoice_ns.route("/preview")
class InvoicePreview(Resource):
    @requires("create_customer_invoice")
    @invoice_ns.expect(preview_model)
    def post(self):
        """The unbilled transactions of a customer in a date range, with subtotal, tax and total."""
        return invoices.preview(json_body())


@invoice_ns.route("/stats")
class InvoiceStatistics(Resource):
    @requires("view_customer_invoice", **VIEW_INVOICE)
    def get(self):
        """The four widgets of spec 07 §2.7 (voided invoices not counted), month trends in percent."""
        return invoices.statistics()


@invoice_ns.route("/customer_id/<int:customer_id>")
class CustomerInvoices(Resource):
    @requires("view_customer_invoice", **VIEW_INVOICE)
    @invoice_ns.expect(list_parser)
    def get(self, customer_id):
        """A customer's invoices in the list convention (same search, filters and sorting as the full list)."""
        return _invoice_list(customer_id)


@invoice_ns.route("/customer_id/<int:customer_id>/stats")
class CustomerInvoiceStatistics(Resource):
    @requires("view_customer_invoice", **VIEW_INVOICE)
    def get(self, customer_id):
        """The statistics widgets for one customer."""
        invoices.list_query(customer_id)  # 404 for a missing or invisible customer
        return invoices.statistics(customer_id)


@invoice_ns.route("/invoice_id/<int:invoice_id>", "/<int:invoice_id>")
class InvoiceItem(Resource):
    @requires("view_customer_invoice", **VIEW_INVOICE)
    def get(self, invoice_id):
        """The invoice with its transactions, subtotal, tax and total."""
        return invoices.detail(invoices.get_invoice(invoice_id))

    @requires("delete_customer_invoice")
    @invoice_ns.response(409, "Paid or already void")
    def delete(self, invoice_id):
        """Void an unpaid invoice; its transactions become unbilled again."""
        invoice = invoices.void(invoices.get_invoice(invoice_id))
        db.session.commit()
        return invoices.detail(invoice)


@invoice_ns.route("/invoice_id/<int:invoice_id>/pay", "/<int:invoice_id>/pay")
class InvoicePayment(Resource):
    @requires("update_customer_invoice")
    @invoice_ns.expect(pay_model)
    @invoice_ns.response(409, "Paid or void")
    def post(self, invoice_id):
        """Mark paid by Cash, POS Transaction, Bank Transfer or Refund (a negative transaction for the total)."""
        invoice = invoices.pay(invoices.get_invoice(invoice_id), json_body())
        db.session.commit()
        events.invoice_paid.send(invoice)
        return invoices.detail(invoice)


email_model = invoice_ns.model("EmailInvoice", {
    "to": fields.List(fields.String, description="Send to these addresses instead of the billing contacts "
                                                 "(else primary contact)")})


@invoice_ns.route("/<int:invoice_id>/email", "/invoice_id/<int:invoice_id>/email")
class InvoiceEmail(Resource):
    @requires("update_customer_invoice", **VIEW_INVOICE)
    @invoice_ns.expect(email_model)
    @invoice_ns.response(200, "Sent (or recorded in the outbox when Mailjet is not configured)")
    @invoice_ns.response(400, "No billing or primary contact with an e-mail address, or an invalid address")
    @invoice_ns.response(409, "The invoice is void")
    @invoice_ns.response(429, "Customer users: a copy of this invoice was sent a few minutes ago")
    @invoice_ns.response(502, "Mailjet refused the e-mail: it stays in the outbox as failed and is retried")
    def post(self, invoice_id):
        """E-mail the invoice with its PDF (Mailjet template api_crmCommunicationCustomerInvoice) to the customer's
        billing contacts, else its primary contact, or (staff only) to `to`. A customer user may request a copy of
        its own invoice, sent to its billing/primary contacts only."""
        invoice = invoices.get_invoice(invoice_id)
        data = json_body() if request.get_data() else None
        if customer_scope() is not None:
            mail.check_customer_copy(invoice, data)
        if invoice.void:
            raise Conflict("A voided invoice cannot be e-mailed", errors={"invoice_id": "is void"})
        row = mail.send_invoice_email(invoice, data)
        return {"message": "Invoice email sent successfully" if row.status == "sent"
                else "Invoice email recorded in the outbox (Mailjet is not configured)",
                "communication": communication_to_dict(row)}


@invoice_ns.route("/<int:invoice_id>/pdf", "/invoice_id/<int:invoice_id>/pdf", "/pdf/<int:invoice_id>")
class InvoicePdf(Resource):
    @requires("view_customer_invoice", **VIEW_INVOICE)
    @invoice_ns.produces(["application/pdf"])
    @invoice_ns.response(200, "The invoice PDF (a voided invoice is marked VOID)")
    @invoice_ns.response(500, "The invoice template failed: the message names the template and line")
    def get(self, invoice_id):
        """Download the invoice as PDF, rendered from `invoice.template_filename` or served from the cache."""
        name, pdf = invoice_pdf.invoice_pdf(invoices.get_invoice(invoice_id))
        db.session.commit()
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "private, no-store"})


namespaces = [ns, invoice_ns]
