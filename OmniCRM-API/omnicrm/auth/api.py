"""/crm/auth: login, refresh, logout, own password, and user/role/permission administration (spec 07 §5)."""

from flask import g, jsonify, request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import func, or_, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import cookies, email_verification, password_reset, service, sessions
from omnicrm.auth.authenticate import client_ip
from omnicrm.auth.guards import (ADMIN_ROLE, ensure_admins_remain, ensure_can_grant, ensure_can_grant_roles,
                                 ensure_customer_user, ensure_role_fits_customer_users)
from omnicrm.auth.models import Permission, Role, User, user_roles
from omnicrm.auth.passwords import check_password
from omnicrm.auth.rbac import (PASSWORD_CHANGE, TWO_FACTOR_ENROLMENT, allowed_while, authenticated, public,
                                requires)
from omnicrm.common.listing import list_parser, paginate, parse_list_params
from omnicrm.common.validation import Checker, json_body
from omnicrm.errors import Conflict, NotFound, ValidationError

ns = Namespace("auth", description="Authentication, users, roles and permissions", path="/auth")

login_model = ns.model("Login", {
    "email": fields.String(required=True, example="admin@example.com"),
    "password": fields.String(required=True),
    "remember_me": fields.Boolean(description="Session (and refresh token) valid 30 days instead of 1"),
    "refresh_in_cookie": fields.Boolean(description="Leave refresh_token out of the body: it is set only as the "
                                                    "HttpOnly refresh_token cookie (what the console uses)"),
})
user_model = ns.model("User", {
    "id": fields.Integer, "username": fields.String, "email": fields.String, "first_name": fields.String,
    "middle_name": fields.String, "last_name": fields.String, "phone_number": fields.String,
    "roles": fields.List(fields.String), "active": fields.Boolean, "deleted": fields.Boolean,
    "deleted_at": fields.String, "email_verified": fields.Boolean, "is_2fa_enabled": fields.Boolean,
    "login_count": fields.Integer, "last_login": fields.String, "contact_id": fields.Integer,
    "customer_id": fields.Integer, "force_password_change": fields.Boolean, "created": fields.String,
    "pending_email": fields.String(description="New address waiting for verification (email changes then)"),
})
session_model = ns.model("Session", {
    "token": fields.String(description="Access token: send as Authorization: Bearer <token>"),
    "access_token": fields.String(description="Same as token"),
    "refresh_token": fields.String, "user": fields.Nested(user_model), "roles": fields.List(fields.String),
    "permissions": fields.List(fields.String), "force_password_change": fields.Boolean,
})
refresh_model = ns.model("Refresh", {"refresh_token": fields.String(required=True)})
logout_model = ns.model("Logout", {"refresh_token": fields.String(description="Also revoke this refresh token")})
change_password_model = ns.model("ChangePassword", {
    "current_password": fields.String(required=True), "new_password": fields.String(required=True)})
user_create_model = ns.model("UserCreate", {
    "username": fields.String(required=True), "email": fields.String(required=True),
    "password": fields.String(required=True), "first_name": fields.String(required=True),
    "middle_name": fields.String, "last_name": fields.String(required=True), "phone_number": fields.String,
    "role": fields.String(required=True, description='Role names, comma-separated: "Support,Finance"'),
    "contact_id": fields.Integer(description="Customer contact this user logs in for (self-care)"),
    "force_password_change": fields.Boolean,
})
user_update_model = ns.model("UserUpdate", {
    "first_name": fields.String, "middle_name": fields.String, "last_name": fields.String,
    "email": fields.String, "phone_number": fields.String, "role": fields.String, "active": fields.Boolean,
    "deleted": fields.Boolean(description="false restores a deleted user"), "contact_id": fields.Integer,
})
admin_reset_model = ns.model("AdminResetPassword", {
    "new_password": fields.String(required=True), "force_change": fields.Boolean})
permission_model = ns.model("Permission", {"id": fields.Integer, "name": fields.String,
                                           "description": fields.String})
role_model = ns.model("Role", {
    "id": fields.Integer, "name": fields.String, "description": fields.String,
    "permissions": fields.List(fields.Nested(permission_model)),
    "users": fields.List(fields.Nested(ns.model("RoleUser", {"id": fields.Integer, "email": fields.String,
                                                             "username": fields.String}))),
})
role_write_model = ns.model("RoleWrite", {"name": fields.String(required=True), "description": fields.String})
role_permissions_model = ns.model("RolePermissions", {
    "permission_id": fields.Integer, "permission_ids": fields.List(fields.Integer)})
user_list_model = ns.model("UserList", {
    "data": fields.List(fields.Nested(user_model)),
    "pagination": fields.Nested(ns.model("Pagination", {
        "current_page": fields.Integer, "per_page": fields.Integer, "total_pages": fields.Integer,
        "total_items": fields.Integer})),
})


@ns.route("/login")
class Login(Resource):
    @public
    @ns.expect(login_model)
    @ns.response(200, "Logged in", session_model)
    @ns.response(401, "Invalid email or password")
    @ns.response(423, "Account locked after repeated failures")
    @ns.response(429, "Too many attempts")
    def post(self):
        """Log in with email (or username) and password; returns the tokens, roles and permissions."""
        data = json_body()
        check = Checker(data)
        check.string("email", required=True)
        check.secret("password", required=True)
        check.boolean("remember_me")
        check.boolean("refresh_in_cookie")
        values = check.done()
        body = service.login(values["email"], values["password"], client_ip(), bool(data.get("remember_me")),
                             device=request.user_agent.string)
        return cookies.session_response(body, cookie_only=bool(data.get("refresh_in_cookie")))


@ns.route("/refresh")
class Refresh(Resource):
    @public
    @ns.expect(refresh_model)
    @ns.response(200, "New tokens", session_model)
    @ns.response(401, "Refresh token invalid, expired or revoked")
    def post(self):
        """Exchange a refresh token (body, else the refresh_token cookie) for a new access token; the refresh token
        is rotated and the session keeps the lifetime it got at login."""
        data = request.get_json(silent=True)
        data = data if isinstance(data, dict) else {}
        token = data.get("refresh_token")
        header = request.headers.get("Authorization", "")
        if not token and header.lower().startswith("bearer "):
            token = header[7:].strip()
        in_body = bool(token)
        token = token or cookies.from_cookie()
        if not isinstance(token, str) or not token:
            raise ValidationError("Validation failed", errors={"refresh_token": "is required (text)"})
        return cookies.session_response(service.refresh(token), cookie_only=not in_body)


@ns.route("/logout")
class Logout(Resource):
    @authenticated
    @allowed_while(PASSWORD_CHANGE, TWO_FACTOR_ENROLMENT)
    @ns.expect(logout_model)
    @ns.response(200, "Tokens revoked")
    def post(self):
        """Revoke the access token used for this call and, when given, the refresh token."""
        data = request.get_json(silent=True)
        token = data.get("refresh_token") if isinstance(data, dict) else None
        service.logout(g.identity, token if isinstance(token, str) else None)
        return cookies.cleared(jsonify(message="Logged out"))


@ns.route("/me")
class Me(Resource):
    @authenticated
    @ns.response(200, "The caller, its roles and permissions", session_model)
    def get(self):
        """Who am I: the logged-in user (or the API key's acting user) with effective permissions."""
        identity = g.identity
        from omnicrm.auth.identity import effective_permission_names
        body = {"kind": identity.kind, "label": identity.label, "roles": identity.roles,
                "permissions": effective_permission_names(identity.permissions),
                "customer_id": identity.customer_id}
        # API keys and whitelisted networks act as the first admin user (initiating_user in provisioning).
        body["user"] = service.user_to_dict(identity.user) if identity.user else None
        return body


@ns.route("/change_password")
class ChangePassword(Resource):
    @authenticated
    @allowed_while(PASSWORD_CHANGE, TWO_FACTOR_ENROLMENT)
    @ns.expect(change_password_model)
    def post(self):
        """Change my own password (current password required). Other sessions are signed out."""
        identity = g.identity
        if identity.kind != "user":
            raise ValidationError("Only a logged-in user can change its password")
        data = json_body()
        check = Checker(data)
        check.secret("current_password", required=True)
        check.secret("new_password", required=True)
        check.boolean("refresh_in_cookie")
        check.done()
        if g.identity.impersonator_id:
            raise ValidationError("The password cannot be changed while impersonating")
        user = identity.user
        if not check_password(data["current_password"], user.password):
            raise ValidationError("Validation failed", errors={"current_password": "is not correct"})
        remember = sessions.remembered(identity.session_id)
        service.set_password(user, data["new_password"])
        db.session.commit()
        password_reset.notify_password_change(user, client_ip())
        body = service.complete_login(user, client_ip(), remember=remember, device=request.user_agent.string)
        return cookies.session_response(body, cookie_only=bool(data.get("refresh_in_cookie")))


USER_SORTABLE = {"id": User.id, "username": User.username, "email": User.email, "first_name": User.first_name,
                 "last_name": User.last_name, "created": User.created, "last_login": User.last_login}


def _role_filter(values):
    return User.id.in_(select(user_roles.c.user_id).join(Role, Role.id == user_roles.c.role_id)
                       .where(func.lower(Role.name).in_([str(v).lower() for v in values])))


USER_FILTERS = {
    "role": _role_filter,
    "deleted": lambda values: User.deleted.in_([bool(v) for v in values]),
    "active": lambda values: User.active.in_([bool(v) for v in values]),
    "is_2fa_enabled": lambda values: User.is_2fa_enabled.in_([bool(v) for v in values]),
    "email_domain": lambda values: or_(*(User.email.ilike(f"%@{v}") for v in values)),
}


def _list_users(include_deleted_default):
    params = parse_list_params()
    stmt = select(User)
    if "deleted" not in params.filters and not include_deleted_default:
        stmt = stmt.where(User.deleted.is_(False))
    return paginate(stmt, params, sortable=USER_SORTABLE, default_sort="id", serialize=service.user_to_dict,
                    searchable=(User.username, User.email, User.first_name, User.last_name, User.phone_number),
                    filterable=USER_FILTERS)


@ns.route("/users")
class Users(Resource):
    @requires("admin")
    @ns.expect(list_parser)
    @ns.response(200, "Users", user_list_model)
    def get(self):
        """List users (deleted ones only with filters={"deleted": [true]})."""
        return _list_users(include_deleted_default=False)

    @requires("admin")
    @ns.expect(user_create_model)
    @ns.response(201, "Created", user_model)
    @ns.response(409, "Username or email already in use")
    def post(self):
        """Create a staff or customer user."""
        data = json_body()
        check = Checker(data)
        check.string("username", required=True, max_length=100)
        check.email("email", required=True)
        check.secret("password", required=True)
        check.string("first_name", required=True, max_length=100)
        check.string("middle_name", max_length=100)
        check.string("last_name", required=True, max_length=100)
        check.string("phone_number", max_length=50)
        check.integer("contact_id", minimum=1)
        check.boolean("force_password_change")
        if "role" not in data and "roles" not in data:
            check.error("role", "is required")
        check.done()
        service.check_password_policy(data["password"])
        roles = service.roles_from_text(data.get("role", data.get("roles")))
        ensure_can_grant_roles(roles)
        contact_id = _checked_contact(data.get("contact_id"))
        user = service.create_user(data, roles, contact_id=contact_id,
                                   force_password_change=bool(data.get("force_password_change")))
        ensure_customer_user(user, "contact_id")
        db.session.commit()
        email_verification.send_verification(user, user.email)
        return service.user_to_dict(user), 201


def _checked_contact(contact_id):
    if contact_id in (None, ""):
        return None
    from omnicrm.customers.models import Contact
    if db.session.get(Contact, int(contact_id)) is None:
        raise ValidationError("Validation failed", errors={"contact_id": f"contact {contact_id} does not exist"})
    return int(contact_id)


@ns.route("/users/search")
class UserSearch(Resource):
    @requires("admin")
    @ns.expect(list_parser)
    @ns.response(200, "Users", user_list_model)
    def get(self):
        """Search users by name, email, username or phone; filters: role, deleted, active, is_2fa_enabled,
        email_domain."""
        return _list_users(include_deleted_default=False)


@ns.route("/users/<int:user_id>")
class UserItem(Resource):
    @requires("admin")
    @ns.response(200, "The user with roles and effective permissions", user_model)
    def get(self, user_id):
        """A user: roles, effective permissions, 2FA status, last login and linked contact."""
        return service.user_to_dict(service.get_user(user_id), detail=True)

    @requires("admin")
    @ns.expect(user_update_model)
    @ns.response(200, "Updated", user_model)
    def put(self, user_id):
        """Update a user; `role` replaces all roles; `deleted: false` restores a deleted user."""
        user = service.get_user(user_id)
        data = json_body()
        check = Checker(data)
        check.reject_unknown({"first_name", "middle_name", "last_name", "email", "phone_number", "role", "roles",
                              "active", "deleted", "contact_id", "username"})
        check.string("first_name", max_length=100)
        check.string("middle_name", max_length=100)
        check.string("last_name", max_length=100)
        check.email("email")
        check.string("phone_number", max_length=50)
        check.integer("contact_id", minimum=1)
        check.boolean("active")
        check.boolean("deleted")
        values = check.done()
        before = activity.snapshot(user)
        for name in ("first_name", "middle_name", "last_name", "phone_number"):
            if name in values:
                setattr(user, name, values[name])
        new_email = values["email"].lower() if values.get("email") else None
        if new_email == user.email:
            user.pending_email = None  # back to the current address: a pending change is dropped
        elif new_email:
            other = service.find_user_by_login(new_email)
            if other is not None and other.id != user.id:
                raise Conflict("Email already in use", errors={"email": "already in use"})
            email_verification.change_email(user, new_email)
        if "role" in data or "roles" in data:
            roles = service.roles_from_text(data.get("role", data.get("roles")))
            ensure_can_grant_roles([r for r in roles if r not in user.roles])
            user.roles = roles
        if "contact_id" in data:
            user.contact_id = _checked_contact(data["contact_id"])
        if "contact_id" in data or "role" in data or "roles" in data:  # other edits of a legacy mixed user pass
            ensure_customer_user(user, "contact_id" if "contact_id" in data else "role")
        if values.get("active") is False and user.active:
            service.deactivate(user)
        elif values.get("active") is True:
            user.active = True
        if values.get("deleted") is False and user.deleted:
            service.restore_user(user)
        elif values.get("deleted") is True and not user.deleted:
            service.soft_delete_user(user)
        ensure_admins_remain()
        changes = activity.diff(before, activity.snapshot(user))
        if changes:
            activity.record("user", user.id, "update", f"User {user.email} updated", changes=changes)
        db.session.commit()
        if new_email and new_email == user.pending_email:
            email_verification.send_verification(user, new_email)
        return service.user_to_dict(user, detail=True)

    @requires("admin")
    @ns.response(200, "Deleted (soft): login refused, sessions ended")
    def delete(self, user_id):
        """Soft-delete a user: it can no longer log in and its tokens stop working; restore with PUT."""
        user = service.get_user(user_id)
        if g.identity.user_id == user.id:
            raise ValidationError("You cannot delete your own account")
        service.soft_delete_user(user)
        ensure_admins_remain()
        db.session.commit()
        return {"result": "success", "message": f"User {user.email} deleted"}


@ns.route("/users/<int:user_id>/admin_reset_password")
class AdminResetPassword(Resource):
    @requires("admin")
    @ns.expect(admin_reset_model)
    def post(self, user_id):
        """Set a temporary password: it works for one login, after which the user must change it (spec 02 §7.8,
        §8; `force_change` is accepted, an admin-set password is always temporary)."""
        user = service.get_user(user_id)
        data = json_body()
        check = Checker(data)
        check.secret("new_password", required=True)
        check.boolean("force_change")
        check.done()
        service.set_temporary_password(user, data["new_password"])
        db.session.commit()
        password_reset.notify_password_change(user, client_ip())
        return {"result": "success", "message": f"Password reset for {user.email}"}


def role_to_dict(role):
    return {"id": role.id, "name": role.name, "description": role.description,
            "permissions": [{"id": p.id, "name": p.name, "description": p.description} for p in role.permissions],
            "users": [{"id": u.id, "email": u.email, "username": u.username} for u in role.users
                      if not u.deleted]}


def _get_role(role_id):
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound(f"Role {role_id} not found")
    return role


def _role_values(data, partial):
    check = Checker(data)
    check.string("name", required=not partial, max_length=100)
    check.string("description", max_length=255)
    return check.done()


@ns.route("/roles")
class Roles(Resource):
    @requires("admin")
    @ns.response(200, "Roles", [role_model])
    def get(self):
        """List roles with their permissions and users."""
        return [role_to_dict(r) for r in db.session.scalars(select(Role).order_by(Role.name))]

    @requires("admin")
    @ns.expect(role_write_model)
    @ns.response(201, "Created without permissions", role_model)
    def post(self):
        """Create a role (it starts without permissions)."""
        values = _role_values(json_body(), partial=False)
        if db.session.scalars(select(Role).where(func.lower(Role.name) == values["name"].lower())).first():
            raise Conflict(f"Role {values['name']} already exists", errors={"name": "already exists"})
        role = Role(name=values["name"], description=values.get("description"))
        db.session.add(role)
        db.session.flush()
        activity.record("role", role.id, "create", f"Role {role.name} created")
        db.session.commit()
        return role_to_dict(role), 201


@ns.route("/roles/<int:role_id>")
class RoleItem(Resource):
    @requires("admin")
    @ns.response(200, "The role", role_model)
    def get(self, role_id):
        """A role with its permissions and users."""
        return role_to_dict(_get_role(role_id))

    @requires("admin")
    @ns.expect(role_write_model)
    @ns.response(200, "Updated", role_model)
    def put(self, role_id):
        """Rename a role or change its description."""
        role = _get_role(role_id)
        values = _role_values(json_body(), partial=True)
        if values.get("name"):
            clash = db.session.scalars(select(Role).where(func.lower(Role.name) == values["name"].lower(),
                                                          Role.id != role.id)).first()
            if clash:
                raise Conflict(f"Role {values['name']} already exists", errors={"name": "already exists"})
            if role.name == ADMIN_ROLE and values["name"] != ADMIN_ROLE:
                raise Conflict("The admin role cannot be renamed: API keys and provisioning act as its first user",
                               errors={"name": "the admin role keeps its name"})
            role.name = values["name"]
        if "description" in values:
            role.description = values["description"]
        activity.record("role", role.id, "update", f"Role {role.name} updated")
        db.session.commit()
        return role_to_dict(role)

    @requires("admin")
    @ns.response(200, "Deleted; removed from every user")
    def delete(self, role_id):
        """Delete a role; users holding it lose its permissions at once."""
        role = _get_role(role_id)
        if role.name == ADMIN_ROLE:
            raise Conflict("The admin role cannot be deleted")
        name = role.name
        db.session.delete(role)
        ensure_admins_remain()
        activity.record("role", role_id, "delete", f"Role {name} deleted")
        db.session.commit()
        return {"result": "success", "message": f"Role {name} deleted"}


@ns.route("/roles/<int:role_id>/permissions")
class RolePermissions(Resource):
    @requires("admin")
    @ns.expect(role_permissions_model)
    @ns.response(200, "Permissions added", role_model)
    def post(self, role_id):
        """Add permissions to a role: {"permission_id": 1} or {"permission_ids": [1, 2]}."""
        role = _get_role(role_id)
        data = json_body()
        ids = data.get("permission_ids")
        if ids is None and data.get("permission_id") is not None:
            ids = [data["permission_id"]]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            raise ValidationError("Validation failed",
                                  errors={"permission_ids": "give permission_id or a list of permission_ids"})
        found = {p.id: p for p in db.session.scalars(select(Permission).where(Permission.id.in_(ids)))}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationError("Validation failed",
                                  errors={"permission_ids": f"unknown permission id(s): {missing}"})
        ensure_can_grant([found[i].name for i in ids], field="permission_ids")
        for pid in ids:
            if found[pid] not in role.permissions:
                role.permissions.append(found[pid])
        ensure_role_fits_customer_users(role)
        activity.record("role", role.id, "update",
                        f"Role {role.name} granted {', '.join(found[i].name for i in ids)}")
        db.session.commit()
        return role_to_dict(role)


@ns.route("/roles/<int:role_id>/permissions/<int:permission_id>")
class RolePermissionItem(Resource):
    @requires("admin")
    @ns.response(200, "Permission removed", role_model)
    def delete(self, role_id, permission_id):
        """Remove one permission from a role."""
        role = _get_role(role_id)
        permission = next((p for p in role.permissions if p.id == permission_id), None)
        if permission is None:
            raise NotFound(f"Role {role.name} does not have permission {permission_id}")
        role.permissions.remove(permission)
        ensure_admins_remain()
        activity.record("role", role.id, "update", f"Role {role.name} lost {permission.name}")
        db.session.commit()
        return role_to_dict(role)


@ns.route("/roles/<int:role_id>/users")
class RoleUsers(Resource):
    @requires("admin")
    @ns.response(200, "Users holding the role", [user_model])
    def get(self, role_id):
        """Users holding this role."""
        return [service.user_to_dict(u) for u in _get_role(role_id).users if not u.deleted]


@ns.route("/roles/<int:role_id>/users/<int:user_id>")
class RoleUserItem(Resource):
    @requires("admin")
    @ns.response(200, "Role assigned", user_model)
    def post(self, role_id, user_id):
        """Give a user this role (in addition to its others)."""
        role, user = _get_role(role_id), service.get_user(user_id)
        if role not in user.roles:
            ensure_can_grant_roles([role])
            user.roles.append(role)
            ensure_customer_user(user, "role")
            activity.record("user", user.id, "update", f"User {user.email} given role {role.name}")
        db.session.commit()
        return service.user_to_dict(user, detail=True)

    @requires("admin")
    @ns.response(200, "Role removed", user_model)
    def delete(self, role_id, user_id):
        """Take this role away from a user."""
        role, user = _get_role(role_id), service.get_user(user_id)
        if role in user.roles:
            user.roles.remove(role)
            ensure_admins_remain()
            activity.record("user", user.id, "update", f"User {user.email} lost role {role.name}")
        db.session.commit()
        return service.user_to_dict(user, detail=True)


@ns.route("/permissions")
class Permissions(Resource):
    @requires("admin")
    @ns.response(200, "The permission catalogue", [permission_model])
    def get(self):
        """Every permission."""
        return [{"id": p.id, "name": p.name, "description": p.description}
                for p in db.session.scalars(select(Permission).order_by(Permission.name))]

    @requires("admin")
    @ns.expect(ns.model("PermissionWrite", {"name": fields.String(required=True), "description": fields.String}))
    @ns.response(201, "Created", permission_model)
    def post(self):
        """Add a custom permission (rarely needed)."""
        check = Checker(json_body())
        values = check.string("name", required=True, max_length=100, pattern=r"[a-z][a-z0-9_]*")
        check.string("description", max_length=255)
        check.done()
        if db.session.scalars(select(Permission).where(Permission.name == values)).first():
            raise Conflict(f"Permission {values} already exists", errors={"name": "already exists"})
        permission = Permission(name=values, description=check.values.get("description"))
        db.session.add(permission)
        db.session.commit()
        return {"id": permission.id, "name": permission.name, "description": permission.description}, 201
