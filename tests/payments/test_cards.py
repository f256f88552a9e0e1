"""Stored cards against a real localstripe: add (first is default), list, default switching, delete (detached at
Stripe, default passes on, last card with auto-renewals asks first), declines, and one customer never reaching
another's cards."""
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.payments.models import StripeCard, StripeCustomer
from omnicrm.products.models import Product
from omnicrm.services.models import Service
from tests.payments.helpers import (DECLINED_AT_ATTACH, MASTERCARD, add_card, make_customer, stripe_admin,
                                    stripe_card)


def _ok(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _cards(client, headers, customer_id):
    return _ok(client.get(f"/crm/stripe/customer_id/{customer_id}", headers=headers))["data"]


def test_two_cards_default_switching_and_delete(app, client, admin_headers, stripe_config):
    customer_id, _ = make_customer(app)
    first = _ok(add_card(client, admin_headers, stripe_config, customer_id, nickname="Personal Card"))
    assert first["message"] == "Your Visa ending in 4242 has been added to your account."
    assert first["card"]["is_default"] is True and first["card"]["default_payment_method"] == "true"
    second = _ok(add_card(client, admin_headers, stripe_config, customer_id, MASTERCARD, exp_month=3,
                          exp_year=2032))["card"]
    assert second["is_default"] is False and second["last4"] == "4444" and second["expiry"] == "03/2032"

    listed = _cards(client, admin_headers, customer_id)
    assert [(c["last4"], c["is_default"], c["nickname"]) for c in listed] == [("4242", True, "Personal Card"),
                                                                            ("4444", False, None)]
    assert listed[0]["name"] == "Ana Smith" and listed[0]["created"]
    with app.app_context():  # one Stripe customer holds both cards
        stripe_ids = db.session.scalars(select(StripeCustomer.stripe_customer_id)).all()
    assert len(stripe_ids) == 1
    attached = stripe_admin(stripe_config).v1.payment_methods.retrieve(second["customer_stripe_id"])
    assert attached.customer == stripe_ids[0]

    moved = _ok(client.post(f"/crm/stripe/card_id/{second['card_id']}/default", json={}, headers=admin_headers))
    # localstripe reports every card as a Visa
    assert moved["message"] == "The Visa ending in 4444 is now your default payment method."
    assert [(c["last4"], c["is_default"]) for c in _cards(client, admin_headers, customer_id)] == [
        ("4444", True), ("4242", False)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StripeCard)
                                 .where(StripeCard.is_default.is_(True))) == 1

    deleted = _ok(client.delete(f"/crm/stripe/card_id/{second['card_id']}", headers=admin_headers))
    assert deleted["new_default"]["last4"] == "4242"
    assert [(c["last4"], c["is_default"]) for c in _cards(client, admin_headers, customer_id)] == [("4242", True)]
    assert stripe_admin(stripe_config).v1.payment_methods.retrieve(second["customer_stripe_id"]).customer is None
    assert client.delete(f"/crm/stripe/card_id/{second['card_id']}", headers=admin_headers).status_code == 404


def test_declined_card_is_not_saved(app, client, admin_headers, stripe_config):
    customer_id, _ = make_customer(app)
    _ok(client.post(f"/crm/stripe/customer_id/{customer_id}/setup_intent", json={}, headers=admin_headers))
    pm = stripe_card(stripe_config, DECLINED_AT_ATTACH)
    refused = client.post(f"/crm/stripe/customer_id/{customer_id}/cards", json={"payment_method_id": pm},
                          headers=admin_headers)
    assert refused.status_code == 402 and "declined" in refused.get_json()["message"]
    assert _cards(client, admin_headers, customer_id) == []


def test_card_data_is_never_accepted(app, client, admin_headers, stripe_config):
    customer_id, _ = make_customer(app)
    refused = client.post(f"/crm/stripe/customer_id/{customer_id}/cards", headers=admin_headers, json={
        "payment_method_id": "pm_x", "number": "4242424242424242", "cvc": "123"})
    assert refused.status_code == 400
    assert set(refused.get_json()["errors"]) == {"number", "cvc"}
    assert "4242424242424242" not in refused.get_data(as_text=True)


def test_saving_a_card_twice_or_anothers_card_is_refused(app, client, admin_headers, stripe_config):
    alpha, _ = make_customer(app, "Alpha")
    bravo, _ = make_customer(app, "Bravo")
    card = _ok(add_card(client, admin_headers, stripe_config, alpha))["card"]
    same = {"payment_method_id": card["customer_stripe_id"]}
    again = client.post(f"/crm/stripe/customer_id/{alpha}/cards", json=same, headers=admin_headers)
    assert again.status_code == 409
    _ok(client.post(f"/crm/stripe/customer_id/{bravo}/setup_intent", json={}, headers=admin_headers))
    stolen = client.post(f"/crm/stripe/customer_id/{bravo}/cards", json=same, headers=admin_headers)
    assert stolen.status_code == 409 and _cards(client, admin_headers, bravo) == []


def test_last_card_with_auto_renewals_needs_confirmation(app, client, admin_headers, stripe_config):
    customer_id, _ = make_customer(app)
    with app.app_context():
        product = Product(product_name="Monthly 10GB", product_slug="monthly-10gb", category="addon",
                          service_type="mobile", auto_renew="true", provisioning_play="play_topup_charge_then_action")
        db.session.add(product)
        db.session.flush()
        db.session.add(Service(customer_id=customer_id, product_id=product.product_id, service_name="Mobile",
                               service_type="mobile", service_status="Active", service_uuid="svc-renew-1"))
        db.session.commit()
    card = _ok(add_card(client, admin_headers, stripe_config, customer_id))["card"]
    asked = client.delete(f"/crm/stripe/card_id/{card['card_id']}", headers=admin_headers)
    assert asked.status_code == 409 and asked.get_json()["confirmation_required"] is True
    assert len(_cards(client, admin_headers, customer_id)) == 1
    _ok(client.delete(f"/crm/stripe/card_id/{card['card_id']}?confirm=true", headers=admin_headers))
    assert _cards(client, admin_headers, customer_id) == []


def test_customer_a_cannot_see_or_use_b_cards(app, client, admin_headers, make_user, stripe_config):
    alpha, alpha_contact = make_customer(app, "Alpha")
    bravo, _ = make_customer(app, "Bravo")
    bravo_card = _ok(add_card(client, admin_headers, stripe_config, bravo))["card"]
    ana = make_user(roles=["Customer"], contact_id=alpha_contact)

    own = add_card(client, ana, stripe_config, alpha)  # a subscriber manages its own cards
    assert own.status_code == 200, own.get_json()
    assert [c["last4"] for c in _cards(client, ana, alpha)] == ["4242"]

    card_path = f"/crm/stripe/card_id/{bravo_card['card_id']}"
    for response in (client.get(f"/crm/stripe/customer_id/{bravo}", headers=ana),
                     client.post(f"/crm/stripe/customer_id/{bravo}/setup_intent", json={}, headers=ana),
                     client.post(f"/crm/stripe/customer_id/{bravo}/cards", json={"payment_method_id": "pm_x"},
                                 headers=ana),
                     client.patch(card_path, json={"nickname": "mine"}, headers=ana),
                     client.post(f"{card_path}/default", json={}, headers=ana),
                     client.delete(f"{card_path}?confirm=true", headers=ana)):
        assert response.status_code == 404, response.get_json()
    assert [c["nickname"] for c in _cards(client, admin_headers, bravo)] == [None]


def test_permission_refusals(app, client, admin_headers, make_user, stripe_config):
    customer_id, contact_id = make_customer(app)
    card = _ok(add_card(client, admin_headers, stripe_config, customer_id))["card"]
    viewer = make_user(permissions=["view_customer_stripe_card"])
    nobody = make_user(permissions=["view_customer"])
    subscriber = make_user(roles=["Customer"], contact_id=contact_id)
    card_path = f"/crm/stripe/card_id/{card['card_id']}"
    assert client.get(f"/crm/stripe/customer_id/{customer_id}", headers=nobody).status_code == 403
    assert client.get(f"/crm/stripe/customer_id/{customer_id}", headers=viewer).status_code == 200
    for headers in (viewer, nobody):
        assert client.post(f"/crm/stripe/customer_id/{customer_id}/setup_intent", json={},
                           headers=headers).status_code == 403
        assert client.post(f"/crm/stripe/customer_id/{customer_id}/cards", json={"payment_method_id": "pm_x"},
                           headers=headers).status_code == 403
        assert client.patch(card_path, json={"nickname": "x"}, headers=headers).status_code == 403
        assert client.post(f"{card_path}/default", json={}, headers=headers).status_code == 403
        assert client.delete(card_path, headers=headers).status_code == 403
    # staff-only endpoints refuse subscribers whatever they hold
    assert client.get("/crm/stripe/expiring_cards", headers=subscriber).status_code == 403
    assert client.post("/crm/stripe/expiring_cards/notify", json={"card_ids": [card["card_id"]]},
                       headers=subscriber).status_code == 403
    assert client.post(f"/crm/stripe/charge_card/{card['customer_stripe_id']}", headers=subscriber, json={
        "retail_cost": "5.00", "description": "x", "customer_id": customer_id}).status_code == 403
    assert client.get("/crm/stripe/config").status_code == 401
    config = _ok(client.get("/crm/stripe/config", headers=subscriber))
    assert config["publishable_key"].startswith("pk_") and config["configured"] is True
    assert "sk_" not in str(config)
