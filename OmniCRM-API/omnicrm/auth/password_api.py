"""/crm/auth password flows: forgot/reset with an e-mailed link and the staff welcome e-mail (spec 07 §5.6).

The routes are added to the /auth namespace of omnicrm.auth.api (same path, one Swagger section).
"""
from flask import g
from flask_restx import Resource, fields

from omnicrm.auth import email_verification, password_reset, service
from omnicrm.auth.api import ns
from omnicrm.auth.authenticate import client_ip
from omnicrm.auth.rbac import authenticated, public, requires
from omnicrm.common.validation import Checker, json_body
from omnicrm.errors import Forbidden

forgot_model = ns.model("ForgotPassword", {"email": fields.String(required=True, example="user@example.com")})
reset_model = ns.model("ResetPassword", {
    "token": fields.String(required=True, description="The token of the e-mailed link /reset-password/{token}"),
    "new_password": fields.String(required=True, description="8+ characters: upper, lower, digit, special")})
message_model = ns.model("Message", {"message": fields.String})


@ns.route("/forgot_password")
class ForgotPassword(Resource):
    @public
    @ns.expect(forgot_model)
    @ns.response(200, "Always the same answer, whether or not the address has an account", message_model)
    @ns.response(429, "Too many requests")
    def post(self):
        """E-mail a password reset link (valid 1 hour) to the account with this address, if there is one."""
        data = json_body()
        check = Checker(data)
        check.email("email", required=True)
        check.done()
        password_reset.request_reset(data["email"], client_ip())
        return {"message": password_reset.FORGOT_ANSWER}


@ns.route("/reset_password")
class ResetPassword(Resource):
    @public
    @ns.expect(reset_model)
    @ns.response(200, "Password changed; other sessions are signed out", message_model)
    @ns.response(400, "Token invalid, used or expired, or the password is too weak")
    def post(self):
        """Set a new password with the token of a reset link (single use, 1 hour)."""
        data = json_body()
        check = Checker(data)
        check.string("token", required=True, max_length=200)
        check.secret("new_password", required=True)
        check.done()
        password_reset.reset_password(data["token"], data["new_password"], client_ip())
        return {"message": "The password has been reset successfully"}


@ns.route("/verify_email")
class VerifyEmail(Resource):
    @public
    @ns.expect(ns.model("VerifyEmail", {
        "token": fields.String(required=True, description="The token of the e-mailed link /verify-email#token=...")}))
    @ns.response(200, "Address verified (and, for a change, now the user's e-mail)", message_model)
    @ns.response(400, "Token invalid, used or expired")
    @ns.response(409, "The new address was taken by another account meanwhile")
    def post(self):
        """Follow an e-mail verification link."""
        check = Checker(json_body())
        check.string("token", required=True, max_length=200)
        check.done()
        user = email_verification.verify(check.values["token"])
        return {"message": f"E-mail address {user.email} verified"}


@ns.route("/users/<int:user_id>/send_welcome_email")
class SendWelcomeEmail(Resource):
    @requires("admin")
    @ns.response(200, "Sent, or recorded in the outbox when Mailjet is not configured", message_model)
    @ns.response(409, "The user has already logged in (or is deleted)")
    @ns.response(502, "Mailjet refused the e-mail")
    def post(self, user_id):
        """Send the staff welcome e-mail (with a link to set the password, valid 72 hours) to a user who never
        logged in."""
        user = service.get_user(user_id)
        row = password_reset.send_welcome_email(user)
        return {"message": f"Welcome e-mail sent to {user.email}" if row.status == "sent"
                else f"Mailjet is not configured: welcome e-mail to {user.email} recorded in the outbox",
                "status": row.status, "communication_id": row.communication_id}


@ns.route("/users/<int:user_id>/resend_verification")
class ResendVerification(Resource):
    @authenticated
    @ns.response(200, "A new verification link was e-mailed; earlier links stop working", message_model)
    @ns.response(403, "Only an administrator or the user itself")
    @ns.response(409, "No address waits for verification")
    @ns.response(429, "Too many verification e-mails this hour")
    def post(self, user_id):
        """Resend the verification e-mail for the user's pending (or unverified) address; an administrator or the
        user itself."""
        if not (g.identity.has("admin") or (g.identity.kind == "user" and g.identity.user_id == user_id)):
            raise Forbidden("Only an administrator or the user itself can ask for a new verification e-mail")
        address = email_verification.resend(service.get_user(user_id))
        return {"message": f"Verification e-mail sent to {address}"}
