"""/crm/stripe: stored cards, card payments of invoices, refunds, the playbooks' charge, the webhook, expiring cards
(contract: docs in each method; spec 06 §14-15, spec 07 §1, §2.12, §2.15)."""
from flask import request
from flask_restx import Namespace, Resource, fields

from omnicrm import db
from omnicrm.auth.identity import ensure_customer_visible
from omnicrm.auth.rbac import authenticated, public, requires
from omnicrm.billing import invoices
from omnicrm.common.listing import list_parser, paginate, parse_list_params
from omnicrm.common.validation import json_body
from omnicrm.customers.service import get_customer
from omnicrm.payments import cards, charges, expiring, webhooks

ns = Namespace("stripe", description="Card payments through Stripe: cards, invoice payments, refunds",
               path="/stripe")
OWN_CARD = dict(own="view_own_customer_stripe_card")
OWN_INVOICE = dict(own="view_own_customer_invoice")

card_model = ns.model("StripeCard", {
    "card_id": fields.Integer, "customer_id": fields.Integer,
    "customer_stripe_id": fields.String(description="The Stripe PaymentMethod id (pm_...)"),
    "brand": fields.String, "last4": fields.String, "exp_month": fields.Integer, "exp_year": fields.Integer,
    "expiry": fields.String(example="12/2030"), "name": fields.String, "nickname": fields.String,
    "country": fields.String, "is_default": fields.Boolean,
    "default_payment_method": fields.String(enum=["true", "false"], description="For the add-on playbook"),
    "created": fields.String(description="Added"), "expired": fields.Boolean, "days_until_expiry": fields.Integer})
add_card_model = ns.model("AddStripeCard", {
    "payment_method_id": fields.String(required=True, description="pm_... confirmed in the browser"),
    "nickname": fields.String, "setup_intent_id": fields.String})
pay_model = ns.model("PayInvoiceByCard", {"card_id": fields.Integer(description="Default card when absent")})
charge_model = ns.model("ChargeCard", {
    "retail_cost": fields.String(required=True, example="5.00"), "description": fields.String(required=True),
    "customer_id": fields.Integer(required=True), "service_id": fields.Integer, "product_id": fields.Integer,
    "wholesale_cost": fields.String(example="1.50"), "invoice": fields.Boolean, "title": fields.String,
    "idempotency_key": fields.String(description="Same key = same charge (answered again, never charged twice)")})


@ns.route("/config")
class StripeConfig(Resource):
    @authenticated
    def get(self):
        """Publishable key and Stripe.js URL for the console and self-care portal (never the secret key)."""
        return cards.public_config()


@ns.route("/customer_id/<int:customer_id>")
class CustomerCards(Resource):
    @requires("view_customer_stripe_card", **OWN_CARD)
    @ns.response(200, "The customer's cards, default first")
    def get(self, customer_id):
        """A customer's saved cards: `{"data": [card...]}` (the add-on playbook reads default_payment_method)."""
        ensure_customer_visible(customer_id)
        get_customer(customer_id)
        return {"data": [cards.card_to_dict(c) for c in cards.customer_cards(customer_id)]}


@ns.route("/customer_id/<int:customer_id>/setup_intent")
class CustomerSetupIntent(Resource):
    @requires("create_customer_stripe_card", **OWN_CARD)
    @ns.response(503, "Card payments not configured or Stripe unreachable")
    def post(self, customer_id):
        """A SetupIntent for Stripe Elements: client_secret, publishable_key, js_url."""
        return cards.setup_intent(customer_id)


@ns.route("/customer_id/<int:customer_id>/cards")
class CustomerCardCollection(Resource):
    @requires("create_customer_stripe_card", **OWN_CARD)
    @ns.expect(add_card_model)
    @ns.response(402, "Declined when attached")
    @ns.response(409, "Already saved")
    def post(self, customer_id):
        """Save a PaymentMethod confirmed in the browser; brand/last4/expiry are read from Stripe."""
        card = cards.add_card(customer_id, json_body())
        db.session.commit()
        return {"message": f"Your {cards.describe(card)} has been added to your account.",
                "card": cards.card_to_dict(card)}


@ns.route("/card_id/<int:card_id>")
class CardItem(Resource):
    @requires("update_customer_stripe_card", **OWN_CARD)
    @ns.response(200, "Updated", card_model)
    def patch(self, card_id):
        """Rename a card (nickname)."""
        card = cards.update_card(cards.get_card(card_id), json_body())
        db.session.commit()
        return cards.card_to_dict(card)

    @requires("delete_customer_stripe_card", **OWN_CARD)
    @ns.response(409, "The last card of a customer with auto-renewals: repeat with ?confirm=true")
    def delete(self, card_id):
        """Delete a card (detached at Stripe); a deleted default passes to the newest other card."""
        confirmed = (request.args.get("confirm") or "").lower() in ("1", "true", "yes")
        label, new_default = cards.delete_card(cards.get_card(card_id), confirmed)
        db.session.commit()
        return {"message": f"The {label} was deleted.",
                "new_default": cards.card_to_dict(new_default) if new_default else None}


@ns.route("/card_id/<int:card_id>/default")
class CardDefault(Resource):
    @requires("update_customer_stripe_card", **OWN_CARD)
    def post(self, card_id):
        """Make this card the customer's one default payment method."""
        card = cards.set_default(cards.get_card(card_id))
        db.session.commit()
        return {"message": f"The {cards.describe(card)} is now your default payment method.",
                "card": cards.card_to_dict(card)}


@ns.route("/invoice_id/<int:invoice_id>/pay")
class InvoiceCardPayment(Resource):
    @requires("update_customer_invoice", **OWN_INVOICE)
    @ns.expect(pay_model)
    @ns.response(200, "status succeeded (invoice) or requires_action (client_secret for 3-D Secure)")
    @ns.response(402, "Declined: the invoice stays unpaid")
    @ns.response(409, "Paid, void, or a payment in progress")
    def post(self, invoice_id):
        """Pay an invoice with a stored card (chosen, else the default) through a PaymentIntent."""
        return charges.pay_invoice(invoices.get_invoice(invoice_id), json_body())


@ns.route("/invoice_id/<int:invoice_id>/confirm")
class InvoiceCardConfirm(Resource):
    @requires("update_customer_invoice", **OWN_INVOICE)
    def post(self, invoice_id):
        """After 3-D Secure in the browser: `{"payment_intent_id"}`; records the payment when Stripe says so."""
        return charges.confirm_invoice(invoices.get_invoice(invoice_id), json_body())


@ns.route("/invoice_id/<int:invoice_id>/refund")
class InvoiceCardRefund(Resource):
    @requires("update_customer_invoice")
    @ns.response(409, "Not paid by card, or already refunded")
    def post(self, invoice_id):
        """Refund a card-paid invoice in full, once (staff only)."""
        return invoices.detail(charges.refund_invoice(invoices.get_invoice(invoice_id)))


@ns.route("/charge_card/<string:customer_stripe_id>")
class ChargeCard(Resource):
    @requires("create_customer_transaction")
    @ns.expect(charge_model)
    @ns.response(402, "Declined: nothing recorded")
    def post(self, customer_stripe_id):
        """Charge a stored card (add-ons, top-ups, renewals); records the charge and the card payment."""
        return charges.charge_card(customer_stripe_id, json_body())


@ns.route("/webhook")
class StripeWebhook(Resource):
    @public
    @ns.response(400, "Bad signature")
    def post(self):
        """Stripe events (signature checked with stripe.webhook_secret); each event applied once."""
        return webhooks.handle(request.get_data(), request.headers.get("Stripe-Signature"))


@ns.route("/expiring_cards")
class ExpiringCards(Resource):
    @requires("view_customer_stripe_card")
    @ns.expect(list_parser)
    def get(self):
        """Cards expired or expiring within 60 days (filters expiry_range 30/60/90/expired, customer_account_type,
        service_type; sort days_until_expiry, customer_name, created)."""
        params = parse_list_params()
        return paginate(expiring.list_query(params), params, sortable=expiring.SORTABLE,
                        default_sort="days_until_expiry", filterable=expiring.filterable(),
                        search_clause=expiring.search_clause, serialize=expiring.row_to_dict)


@ns.route("/expiring_cards/notify")
class ExpiringCardsNotify(Resource):
    @requires("update_customer_stripe_card")
    def post(self):
        """Send the expiry reminder now to the chosen cards' customers (`{"card_ids": [...]}`)."""
        return expiring.notify(json_body())


namespaces = [ns]
