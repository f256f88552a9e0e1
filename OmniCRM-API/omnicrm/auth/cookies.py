"""The refresh token as an HttpOnly, Secure, SameSite=Strict cookie (spec 02 §7.2, §8): the console never holds it
in JavaScript-readable storage. API clients keep getting `refresh_token` in the JSON body (spec 07 §5) unless they
ask for the cookie only."""
from datetime import datetime

from flask import jsonify, request

from omnicrm.db import utcnow

COOKIE = "refresh_token"
COOKIE_PATH = "/crm/auth"  # sent to login, refresh and logout only


def session_response(body, cookie_only):
    """The login/refresh answer with the refresh token set as a cookie; with `cookie_only` the body leaves it out.
    A remember-me session's cookie outlives the browser until the session's end; otherwise it ends with it."""
    response = jsonify({k: v for k, v in body.items() if not (cookie_only and k == "refresh_token")})
    if "refresh_token" not in body:  # the first step of a 2FA login: no session yet
        return response
    session = body["session"]
    max_age = None
    if session["remember_me"]:
        expires = datetime.fromisoformat(session["expires"].removesuffix("Z"))
        max_age = max(int((expires - utcnow()).total_seconds()), 0)
    response.set_cookie(COOKIE, body["refresh_token"], max_age=max_age, path=COOKIE_PATH, secure=True,
                        httponly=True, samesite="Strict")
    return response


def cleared(response):
    response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=True, httponly=True, samesite="Strict")
    return response


def from_cookie():
    return request.cookies.get(COOKIE)
