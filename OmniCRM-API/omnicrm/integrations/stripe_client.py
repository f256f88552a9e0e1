"""Stripe through the official `stripe` library, configured from `stripe.*` (or STRIPE_* environment variables).

`stripe.api_base` points the library at another Stripe-compatible server (localstripe in tests and in the demo).
`call()` turns Stripe's failures into our error kinds, with Stripe's own reason as the message:
a declined card is a 402, Stripe unreachable a 503, any other Stripe error a 502.
"""
import stripe
from flask import current_app

from omnicrm.errors import DependencyError, DependencyUnavailable, PaymentRequired


def settings():
    """The `stripe` section of the configuration (empty when absent)."""
    return current_app.config["CRM"].get("stripe") or {}


def configured():
    return bool(settings().get("secret_key"))


def currency():
    return str(settings().get("currency") or "").lower()


def client():
    """A StripeClient for the configured account; 503 when card payments are not configured."""
    conf = settings()
    if not conf.get("secret_key"):
        raise DependencyUnavailable("Card payments are not configured (stripe.secret_key is empty)")
    base = conf.get("api_base")
    return stripe.StripeClient(conf["secret_key"], base_addresses={"api": base} if base else None,
                               max_network_retries=2)


def call(operation, *args, **kwargs):
    """Run `operation(*args, **kwargs)` (a StripeClient method) and translate Stripe's errors."""
    try:
        return operation(*args, **kwargs)
    except stripe.CardError as exc:
        raise PaymentRequired(f"The card was declined: {exc.user_message or exc.code}",
                              decline_code=getattr(exc, "decline_code", None) or exc.code) from None
    except stripe.APIConnectionError:
        raise DependencyUnavailable("Stripe could not be reached") from None
    except stripe.StripeError as exc:
        raise DependencyError(f"Stripe refused the request: {exc.user_message or exc.code or 'error'}") from None
