"""The Stripe client against a real localstripe: a charge succeeds, a declined card is a 402 with Stripe's reason,
an unreachable Stripe a 503, no configuration a 503."""
import pytest

from omnicrm.errors import DependencyUnavailable, PaymentRequired
from omnicrm.integrations import stripe_client


def _card(client, number):
    return stripe_client.call(client.v1.payment_methods.create, params={
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"}})


def test_charge_and_decline(app, stripe_config):
    with app.app_context():
        client = stripe_client.client()
        customer = stripe_client.call(client.v1.customers.create, params={"email": "payer@example.com"})
        card = _card(client, "4242424242424242")
        stripe_client.call(client.v1.payment_methods.attach, card.id, params={"customer": customer.id})
        intent = stripe_client.call(client.v1.payment_intents.create, params={
            "amount": 1050, "currency": "aud", "customer": customer.id, "payment_method": card.id,
            "confirm": True, "off_session": True})
        assert (intent.status, intent.amount) == ("succeeded", 1050)

        declined = _card(client, "4000000000000002")
        with pytest.raises(PaymentRequired) as refused:
            stripe_client.call(client.v1.payment_methods.attach, declined.id, params={"customer": customer.id})
        assert refused.value.status_code == 402
        assert "declined" in refused.value.message


def test_unreachable_and_unconfigured(app, stripe_config, monkeypatch):
    with app.app_context():
        monkeypatch.setitem(app.config["CRM"]["stripe"], "api_base", "http://127.0.0.1:9")
        with pytest.raises(DependencyUnavailable):
            stripe_client.call(stripe_client.client().v1.customers.create, params={})
        monkeypatch.setitem(app.config["CRM"]["stripe"], "secret_key", "")
        with pytest.raises(DependencyUnavailable):
            stripe_client.client()
