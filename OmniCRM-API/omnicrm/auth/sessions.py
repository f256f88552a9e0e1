"""Login sessions (spec 02 §8): every access and refresh token names its session (`sid`), so a user can list and end
sessions, and a password change, reset, 2FA reset or account disable ends all of them, refresh tokens included."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from omnicrm import db
from omnicrm.auth.models import UserSession
from omnicrm.common.serialize import iso
from omnicrm.db import utcnow
from omnicrm.errors import NotFound, Unauthorized

SHORT_SESSION_DAYS = 1  # without "remember me"
TOUCH_EVERY = timedelta(minutes=1)  # last_used is written at most this often, not on every request


def start(user, ip, device, remember):
    days = current_app.config["CRM"]["security"]["refresh_token_days"] if remember else SHORT_SESSION_DAYS
    now = utcnow()
    session = UserSession(user_id=user.id, remember=bool(remember), ip=ip, device=(device or "")[:255] or None,
                          created=now, last_used=now, expires=now + timedelta(days=days))
    db.session.add(session)
    db.session.flush()
    return session


def find(session_id, user_id):
    """Session `session_id` of `user_id` (ended or not), None when there is none."""
    session = db.session.get(UserSession, session_id) if isinstance(session_id, int) else None
    return session if session is not None and session.user_id == user_id else None


def active(session_id, user_id):
    """The live session `session_id` of `user_id`; 401 when it ended, expired or belongs to someone else."""
    session = find(session_id, user_id)
    if session is None or session.ended is not None or session.expires <= utcnow():
        raise Unauthorized("Session has ended: log in again")
    return session


def remembered(session_id):
    """Whether the session was started with remember-me (a password change keeps the choice for the new one)."""
    session = db.session.get(UserSession, session_id) if session_id else None
    return bool(session and session.remember)


def touch(session, ip):
    now = utcnow()
    if now - session.last_used >= TOUCH_EVERY or session.ip != ip:
        session.last_used = now
        session.ip = ip
        db.session.commit()


def end(session):
    if session.ended is None:
        session.ended = utcnow()


def end_all(user_id, keep=None):
    """End every session of the user (its refresh tokens stop working too) except `keep` (the caller's own, when
    it acts on itself); returns how many were live."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    return db.session.execute(stmt.values(ended=utcnow())).rowcount


def live_sessions(user_id):
    return db.session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended.is_(None), UserSession.expires > utcnow())
        .order_by(UserSession.last_used.desc(), UserSession.id.desc())).all()


def get_live(user_id, session_id):
    session = db.session.get(UserSession, session_id)
    if session is None or session.user_id != user_id or session.ended is not None:
        raise NotFound(f"Session {session_id} not found")
    return session


def to_dict(session, current_id=None):
    return {"id": session.id, "device": session.device, "ip": session.ip, "created": iso(session.created),
            "last_used": iso(session.last_used), "expires": iso(session.expires), "remember_me": session.remember,
            "current": session.id == current_id}
