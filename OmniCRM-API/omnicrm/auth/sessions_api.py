"""/crm/auth sessions (spec 02 §8): a user lists its live logins (device, IP, last use) and ends any of them; an
administrator ends every session of a user. The routes join the /auth namespace of omnicrm.auth.api."""
from flask import g
from flask_restx import Resource, fields

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import service, sessions
from omnicrm.auth.api import ns
from omnicrm.auth.rbac import authenticated, requires
from omnicrm.errors import ValidationError

session_model = ns.model("LoginSession", {
    "id": fields.Integer, "device": fields.String(description="The browser or client (User-Agent)"),
    "ip": fields.String(description="Address of the last use"), "created": fields.String,
    "last_used": fields.String, "expires": fields.String, "remember_me": fields.Boolean,
    "current": fields.Boolean(description="The session this request belongs to"),
})
ended_model = ns.model("SessionsEnded", {"message": fields.String, "ended": fields.Integer})


def _own_user_id():
    identity = g.identity
    if identity.kind != "user" or identity.session_id is None:
        raise ValidationError("Only a logged-in user has sessions")
    return identity.user_id


@ns.route("/sessions")
class MySessions(Resource):
    @authenticated
    @ns.response(200, "My live sessions, most recently used first", [session_model])
    def get(self):
        """My active sessions: device, IP and last use; `current` marks this one."""
        return [sessions.to_dict(s, g.identity.session_id) for s in sessions.live_sessions(_own_user_id())]


@ns.route("/sessions/<int:session_id>")
class MySession(Resource):
    @authenticated
    @ns.response(200, "Session ended: its access and refresh tokens stop working", ended_model)
    @ns.response(404, "No such live session of mine")
    def delete(self, session_id):
        """End one of my sessions (e.g. a lost phone); ending the current one logs this client out."""
        user_id = _own_user_id()
        sessions.end(sessions.get_live(user_id, session_id))
        activity.record("user", user_id, "session_end", f"Session {session_id} ended by its user")
        db.session.commit()
        return {"message": f"Session {session_id} ended", "ended": 1}


@ns.route("/users/<int:user_id>/sessions")
class UserSessions(Resource):
    @requires("admin")
    @ns.response(200, "The user's live sessions", [session_model])
    def get(self, user_id):
        """A user's active sessions."""
        service.get_user(user_id)
        return [sessions.to_dict(s, g.identity.session_id) for s in sessions.live_sessions(user_id)]

    @requires("admin")
    @ns.response(200, "Every session of the user ended", ended_model)
    def delete(self, user_id):
        """End every session of a user (sign out everywhere): its refresh tokens stop working too."""
        user = service.get_user(user_id)
        count = sessions.end_all(user.id)
        activity.record("user", user.id, "sessions_end", f"All {count} session(s) of {user.email} ended")
        db.session.commit()
        return {"message": f"{count} session(s) of {user.email} ended", "ended": count}
