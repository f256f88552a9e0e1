"""/crm/2fa: enrolment, the login second factor, backup codes and resets (spec 01 §2, spec 07 §5.7).

A user acts on its own account; an administrator (`admin`) on any account. Changes are refused while
impersonating. The login step (`/verify`) is authorised by the short-lived `mfa_token` that /auth/login returns.
"""
from flask import g, request
from flask_jwt_extended import decode_token
from flask_restx import Namespace, Resource, fields

from omnicrm import db
from omnicrm.auth import cookies, service, twofa
from omnicrm.auth.authenticate import client_ip
from omnicrm.auth.passwords import check_password
from omnicrm.auth.rbac import TWO_FACTOR_ENROLMENT, allowed_while, authenticated, public, requires
from omnicrm.auth.tokens import is_revoked, revoke_encoded
from omnicrm.common.validation import Checker, json_body
from omnicrm.errors import Forbidden, Unauthorized, ValidationError

ns = Namespace("2fa", description="Two-factor authentication (TOTP and backup codes)", path="/2fa")

enrolment_model = ns.model("TwoFactorEnrolment", {
    "totp_secret": fields.String(example="JBSWY3DPEHPK3PXP"),
    "qr_code_url": fields.String(example="otpauth://totp/OmniCRM:user@example.com?secret=JBSWY3DPEHPK3PXP"
                                         "&issuer=OmniCRM"),
    "backup_codes": fields.List(fields.String, description="10 single-use 8-digit codes, shown only now"),
})
password_model = ns.model("TwoFactorPassword", {
    "password": fields.String(required=True, description="The caller's current password")})
code_model = ns.model("TwoFactorCode", {"code": fields.String(required=True, example="123456")})
verify_model = ns.model("TwoFactorVerify", {
    "code": fields.String(required=True, description="6-digit TOTP or an unused 8-digit backup code"),
    "mfa_token": fields.String(required=True, description="mfa_token returned by POST /crm/auth/login"),
    "remember_me": fields.Boolean(description="Session (and refresh token) valid 30 days instead of 1"),
    "refresh_in_cookie": fields.Boolean(description="refresh_token only as the HttpOnly cookie, not in the body"),
})
backup_code_model = ns.model("TwoFactorBackupCode", {"backup_code": fields.String(required=True)})
backup_codes_model = ns.model("TwoFactorBackupCodes", {"backup_codes": fields.List(fields.String)})


def _target_user(user_id):
    """The user `user_id` when the caller is that user or an administrator; 403 otherwise."""
    identity = g.identity
    if not identity.is_admin and not (identity.kind == "user" and identity.user_id == user_id):
        raise Forbidden("You can only manage two-factor authentication of your own account")
    if g.identity.impersonator_id:
        raise Forbidden("Two-factor authentication cannot be changed while impersonating")
    user = service.get_user(user_id)
    if user.deleted:
        raise ValidationError(f"User {user.email} is deleted")
    return user


def _code(data, name="code"):
    check = Checker(data)
    check.string(name, required=True, max_length=20)
    return check.done()[name]


@ns.route("/enable/user/<int:user_id>")
class Enable(Resource):
    @authenticated
    @allowed_while(TWO_FACTOR_ENROLMENT)
    @ns.expect(password_model)
    @ns.response(200, "Secret, otpauth URI and backup codes; confirm with verify-setup", enrolment_model)
    @ns.response(400, "Wrong password")
    @ns.response(409, "2FA is already enabled")
    def post(self, user_id):
        """Start 2FA enrolment (re-authenticate with the caller's password); active after verify-setup."""
        user = _target_user(user_id)
        data = json_body()
        check = Checker(data)
        check.secret("password", required=True)
        check.done()
        actor = g.identity.user
        if actor is None or not check_password(data["password"], actor.password):
            raise ValidationError("Validation failed", errors={"password": "is not correct"})
        body = twofa.start_enrolment(user)
        db.session.commit()
        return body


@ns.route("/verify-setup/user/<int:user_id>")
class VerifySetup(Resource):
    @authenticated
    @allowed_while(TWO_FACTOR_ENROLMENT)
    @ns.expect(code_model)
    @ns.response(200, "2FA is now enabled", ns.model("Verified", {"verified": fields.Boolean}))
    @ns.response(400, "The code is not valid")
    @ns.response(409, "No enrolment in progress, or already enabled")
    def post(self, user_id):
        """Confirm enrolment with the current 6-digit code from the authenticator app."""
        user = _target_user(user_id)
        twofa.confirm_enrolment(user, _code(json_body()))
        db.session.commit()
        return {"verified": True}


@ns.route("/verify/user/<int:user_id>")
class Verify(Resource):
    @public
    @ns.expect(verify_model)
    @ns.response(200, "Logged in: the same body as POST /crm/auth/login")
    @ns.response(400, "The code is not valid")
    @ns.response(401, "mfa_token missing, expired, used or for another user")
    @ns.response(429, "Too many attempts")
    def post(self, user_id):
        """Second login step: a TOTP code (±1 window) or an unused backup code, with the login's mfa_token."""
        data = json_body()
        check = Checker(data)
        check.string("code", required=True, max_length=20)
        check.string("mfa_token", required=True, max_length=4096)
        check.boolean("remember_me")
        check.boolean("refresh_in_cookie")
        check.done()
        user = _pending_login_user(data["mfa_token"], user_id)
        twofa.verify_second_factor(user, data["code"])
        revoke_encoded(data["mfa_token"])
        body = service.complete_login(user, client_ip(), bool(data.get("remember_me")), request.user_agent.string)
        return cookies.session_response(body, cookie_only=bool(data.get("refresh_in_cookie")))


def _pending_login_user(mfa_token, user_id):
    """The user whose password was just verified, from an unused, unexpired mfa_token for `user_id`."""
    try:
        claims = decode_token(mfa_token)
    except Exception:  # noqa: BLE001 - any decoding failure is an invalid token
        raise Unauthorized("Invalid or expired mfa_token: log in again") from None
    if not claims.get("mfa_pending") or claims.get("sub") != str(user_id) or is_revoked(claims["jti"]):
        raise Unauthorized("Invalid or expired mfa_token: log in again")
    user = service.get_user(user_id)
    if user.deleted or not user.active:
        raise Unauthorized("User account is not active")
    return user


@ns.route("/backup-codes/regenerate/user/<int:user_id>")
class RegenerateBackupCodes(Resource):
    @authenticated
    @ns.response(200, "New backup codes; the old ones stop working", backup_codes_model)
    @ns.response(409, "2FA is not enabled")
    def post(self, user_id):
        """Replace the backup codes with 10 new ones."""
        user = _target_user(user_id)
        codes = twofa.regenerate_backup_codes(user)
        db.session.commit()
        return {"backup_codes": codes}


@ns.route("/admin/disable/user/<int:user_id>")
class AdminDisable(Resource):
    @requires("admin")
    @ns.response(200, "2FA reset: the user logs in with the password only")
    def post(self, user_id):
        """Reset a user's 2FA (lost authenticator and backup codes): secret and codes cleared."""
        user = service.get_user(user_id)
        twofa.disable(user, keep_session=g.identity.session_id if g.identity.user_id == user.id else None)
        db.session.commit()
        return {"result": "success", "is_2fa_enabled": False,
                "message": f"{user.full_name or user.email} can now log in with their password only. They can "
                           "re-enable 2FA from their user settings."}


@ns.route("/reset-for-new-device/user/<int:user_id>")
class ResetForNewDevice(Resource):
    @authenticated
    @ns.expect(backup_code_model)
    @ns.response(200, "New secret, otpauth URI and backup codes (2FA stays enabled)", enrolment_model)
    @ns.response(400, "The backup code is not valid")
    @ns.response(409, "2FA is not enabled")
    def post(self, user_id):
        """Move 2FA to a new device: an unused backup code proves possession; a new secret and codes are issued."""
        user = _target_user(user_id)
        body = twofa.reset_for_new_device(user, _code(json_body(), "backup_code"))
        db.session.commit()
        return body
