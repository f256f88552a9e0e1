"""/crm/portal: what the self-care portal needs beyond the shared endpoints (spec 07 §6): the subscriber's alerts,
notification preferences and contact details; and for staff, the subscriber logins of a customer (invite,
disable, enable). Impersonation lives under /crm/auth (omnicrm.auth.impersonation_api)."""
from flask import g
from flask_restx import Namespace, Resource, fields

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import email_verification, service as users
from omnicrm.auth.identity import customer_scope, ensure_customer_visible
from omnicrm.auth.rbac import authenticated, requires
from omnicrm.common.validation import Checker, json_body
from omnicrm.customers.models import Customer
from omnicrm.errors import Conflict, Forbidden, NotFound, ValidationError
from omnicrm.portal import api_keys, invitations, notifications
from omnicrm.portal.usage_history import usage_history

ns = Namespace("portal", description="Self-care portal: alerts, preferences, account; subscriber logins",
               path="/portal")

preferences_model = ns.model("PortalPreferences", {
    "email_enabled": fields.Boolean(description="E-mail alerts at all"),
    "low_balance_percent": fields.Integer(description="Alert below this % remaining (default 10)", example=10),
    "billing": fields.Boolean, "usage": fields.Boolean, "service": fields.Boolean,
})
account_model = ns.model("PortalAccount", {
    "phone_number": fields.String, "email": fields.String(description="Changes after the link sent to it is followed"),
})
invite_model = ns.model("PortalInvite", {"email": fields.String(description="Default: the contact's e-mail")})


def _user():
    identity = g.identity
    if identity.kind != "user" or identity.user is None:
        raise ValidationError("Only a logged-in user has portal settings")
    return identity.user


def _my_customer():
    scope = customer_scope()
    if scope is None:
        raise NotFound("This login is not a subscriber's")
    return scope


@ns.route("/alerts")
class MyAlerts(Resource):
    @requires("view_customer", own="view_own_customer")
    @ns.response(200, "The subscriber's alerts: low balance, service expiry, unpaid/overdue invoices")
    def get(self):
        """Alerts of the caller's own customer (customer users)."""
        customer_id = _my_customer()
        threshold = notifications.preferences(_user().id)["low_balance_percent"]
        return {"customer_id": customer_id,
                "alerts": notifications.customer_alerts(customer_id, threshold=threshold)}


@ns.route("/alerts/customer_id/<int:customer_id>")
class CustomerAlerts(Resource):
    @requires("view_customer", own="view_own_customer")
    @ns.response(200, "The customer's alerts")
    @ns.response(404, "No such customer (or another customer's, for a subscriber)")
    def get(self, customer_id):
        """Alerts of one customer, as its subscribers see them (default 10 % low-balance threshold)."""
        ensure_customer_visible(customer_id)
        if db.session.get(Customer, customer_id) is None:
            raise NotFound(f"Customer {customer_id} not found")
        return {"customer_id": customer_id, "alerts": notifications.customer_alerts(customer_id)}


@ns.route("/preferences")
class Preferences(Resource):
    @authenticated
    @ns.response(200, "My notification preferences", preferences_model)
    def get(self):
        """My alert settings (defaults when never saved)."""
        return notifications.preferences(_user().id)

    @authenticated
    @ns.expect(preferences_model)
    @ns.response(200, "Saved", preferences_model)
    def put(self):
        """Change my alert settings."""
        user = _user()
        check = Checker(json_body())
        check.reject_unknown(notifications.PREFERENCE_FIELDS)
        for name in ("email_enabled", "billing", "usage", "service"):
            check.boolean(name)
        check.integer("low_balance_percent", minimum=1, maximum=90)
        values = check.done()
        before = notifications.preferences(user.id)
        after = notifications.save_preferences(user.id, values)
        activity.record("user", user.id, "update", f"Notification preferences of {user.email} changed",
                        customer_id=customer_scope(), changes=activity.diff(before, after))
        db.session.commit()
        return after


@ns.route("/account")
class Account(Resource):
    @authenticated
    @ns.expect(account_model)
    @ns.response(200, "My user record")
    @ns.response(409, "E-mail already in use")
    def put(self):
        """Change my phone number, or my e-mail (kept pending until the link sent to the new address is followed)."""
        user = _user()
        check = Checker(json_body())
        check.reject_unknown(("phone_number", "email"))
        check.string("phone_number", max_length=50)
        check.email("email")
        values = check.done()
        before = activity.snapshot(user, ["phone_number"])
        if "phone_number" in values:
            user.phone_number = values["phone_number"] or None
        new_email = (values.get("email") or "").lower() or None
        if new_email and new_email != user.email and g.identity.impersonator_id:
            # Like the password: the address receives reset links, so a support session cannot move it.
            raise Forbidden("The e-mail address cannot be changed while impersonating")
        if new_email and new_email != user.email:
            other = users.find_user_by_login(new_email)
            if other is not None and other.id != user.id:
                raise Conflict("Email already in use", errors={"email": "already in use"})
            email_verification.change_email(user, new_email)
        changes = activity.diff(before, activity.snapshot(user, ["phone_number"]))
        if changes:
            activity.record("user", user.id, "update", f"User {user.email} changed its phone number",
                            customer_id=customer_scope(), changes=changes)
        db.session.commit()
        if new_email and new_email != user.email:
            email_verification.send_verification(user, new_email)
        return users.user_to_dict(user)


@ns.route("/usage_history/service_id/<int:service_id>")
class UsageHistory(Resource):
    @requires("view_customer_service", own="view_own_customer_service")
    @ns.response(200, "Usage per day and type from the service's CDRs: {days, series: {DATA: [GB...]}, units}")
    @ns.response(404, "No such service, or its usage is hidden from the customer")
    @ns.response(503, "CGRateS unreachable")
    def get(self, service_id):
        """Usage over time of one service (?days=1-90, default 30), for the portal's chart."""
        from flask import request

        from omnicrm.services.service import get_service, usage_visible_to_caller
        check = Checker(dict(request.args))
        days = check.integer("days", minimum=1, maximum=90)
        check.done()
        service = get_service(service_id)
        if not usage_visible_to_caller(service):
            raise NotFound("Usage of this service is not available")
        return usage_history(service, days=days or 30)


api_key_model = ns.model("PortalApiKey", {
    "name": fields.String(required=True), "access": fields.String(required=True, enum=["read_only", "read_write"]),
    "expiry_date": fields.String(required=True, description="YYYY-MM-DD, at most a year ahead")})


@ns.route("/api_keys")
class MyApiKeys(Resource):
    @requires("view_customer", own="view_own_customer")
    @ns.response(200, "My API keys (masked)")
    def get(self):
        """A subscriber's own API keys."""
        return api_keys.my_keys(g.identity)

    @requires("view_customer", own="view_own_customer")
    @ns.expect(api_key_model)
    @ns.response(201, "Created: `api_key` is shown only now")
    def post(self):
        """Generate an API key acting as me: read-only (view) or read-write (also orders add-ons), with an expiry."""
        check = Checker(json_body())
        check.reject_unknown(("name", "access", "expiry_date"))
        name = check.string("name", required=True, max_length=150)
        access = check.string("access", required=True, choices=api_keys.ACCESS)
        expiry = check.datetime("expiry_date", required=True, end_of_day=True)
        check.done()
        return api_keys.create(g.identity, name, access, expiry), 201


@ns.route("/api_keys/<int:api_key_id>")
class MyApiKey(Resource):
    @requires("view_customer", own="view_own_customer")
    @ns.response(200, "Revoked")
    @ns.response(404, "Not one of my keys")
    def delete(self, api_key_id):
        """Revoke one of my API keys."""
        return api_keys.revoke(g.identity, api_key_id)


@ns.route("/logins/customer_id/<int:customer_id>")
class CustomerLogins(Resource):
    @requires("view_customer_contact")
    @ns.response(200, "Every contact of the customer with its portal login (or none)")
    def get(self, customer_id):
        """Which contacts of a customer can log in to the self-care portal."""
        if db.session.get(Customer, customer_id) is None:
            raise NotFound(f"Customer {customer_id} not found")
        return invitations.customer_logins(customer_id)


@ns.route("/invite/contact_id/<int:contact_id>")
class Invite(Resource):
    @requires("update_customer_contact")
    @ns.expect(invite_model)
    @ns.response(200, "Login created (Customer role) and the set-password link e-mailed")
    @ns.response(409, "The contact already has a login, or the address is in use")
    def post(self, contact_id):
        """Invite a contact to the self-care portal: a subscriber login with a set-password e-mail (72 h link)."""
        check = Checker(json_body())
        check.reject_unknown(("email",))
        check.email("email")
        values = check.done()
        return invitations.invite(contact_id, values.get("email"))


@ns.route("/logins/user_id/<int:user_id>/disable")
class DisableLogin(Resource):
    @requires("update_customer_contact")
    @ns.response(200, "Disabled; its sessions ended")
    def post(self, user_id):
        """Disable a subscriber's portal login (staff users are not touched here)."""
        return invitations.set_active(user_id, False)


@ns.route("/logins/user_id/<int:user_id>/enable")
class EnableLogin(Resource):
    @requires("update_customer_contact")
    @ns.response(200, "Enabled")
    def post(self, user_id):
        """Enable a disabled portal login again."""
        return invitations.set_active(user_id, True)


namespaces = [ns]
