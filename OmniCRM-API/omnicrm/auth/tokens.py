"""JWT issuing and revocation. Revoked token ids live in Redis (with TTL) or in the database."""
from datetime import datetime, timedelta, timezone

from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token, decode_token
from sqlalchemy import delete

from omnicrm import db
from omnicrm.auth.models import RevokedToken
from omnicrm.common.shared_state import redis_client, redis_key
from omnicrm.db import utcnow

jwt = JWTManager()
REVOKED_PREFIX = "omnicrm:revoked:"


def issue_tokens(user, session, extra_claims=None):
    """Access and refresh token of `session`; the refresh token lives exactly as long as the session, so a
    remember-me session keeps its 30 days across refreshes."""
    claims = {"type_of_user": "user", "sid": session.id, **(extra_claims or {})}
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    refresh = create_refresh_token(identity=str(user.id), additional_claims=claims,
                                   expires_delta=max(session.expires - utcnow(), timedelta(seconds=1)))
    return access, refresh


def revoke(jti, expires_at):
    """Refuse this token id from now until it would have expired anyway."""
    client = redis_client()
    ttl = max(int((expires_at - utcnow()).total_seconds()), 1)
    if client is not None:
        client.set(redis_key(REVOKED_PREFIX + jti), "1", ex=ttl)
        return
    if db.session.get(RevokedToken, jti) is None:
        db.session.add(RevokedToken(jti=jti, expires=expires_at))
    db.session.execute(delete(RevokedToken).where(RevokedToken.expires < utcnow()))
    db.session.commit()


def is_revoked(jti):
    client = redis_client()
    if client is not None:
        return client.exists(redis_key(REVOKED_PREFIX + jti)) == 1
    return db.session.get(RevokedToken, jti) is not None


def revoke_encoded(token):
    """Revoke a token given in encoded form (e.g. the refresh token sent to logout); bad tokens are ignored."""
    try:
        data = decode_token(token, allow_expired=True)
    except Exception:  # noqa: BLE001 - an unreadable token cannot be used anyway
        return None
    revoke(data["jti"], expiry_of(data))
    return data


def expiry_of(payload):
    """A decoded token's `exp` as naive UTC, the form revocations are kept in."""
    return datetime.fromtimestamp(payload["exp"], timezone.utc).replace(tzinfo=None)


@jwt.token_in_blocklist_loader
def _token_revoked(_header, payload):
    return is_revoked(payload["jti"])
