"""Which products may be sold: GET /crm/product/ (enabled, window, account type, dependencies, add-on matching,
self-purchase) versus the management list GET /crm/product/paginated (spec 04 §5, spec 06 §4-6)."""
from datetime import timedelta

import pytest

from omnicrm.db import utcnow
from tests.products.helpers import customer_login, make_customer, make_service


def _product(client, headers, slug, **fields):
    body = {"product_name": slug.replace("-", " ").title(), "product_slug": slug, "category": "standalone",
            "service_type": "mobile", "residential": True, "business": True, "customer_can_purchase": True,
            **fields}
    response = client.post("/crm/product/", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["product_id"]


def _slugs(response):
    assert response.status_code == 200, response.get_json()
    return {p["product_slug"] for p in response.get_json()["data"]}


@pytest.fixture
def catalogue(client, admin_headers):
    now = utcnow()
    ids = {
        "plain": _product(client, admin_headers, "plain"),
        "disabled": _product(client, admin_headers, "disabled", enabled=False),
        "expired": _product(client, admin_headers, "expired",
                            available_until=(now - timedelta(days=1)).isoformat() + "Z"),
        "future": _product(client, admin_headers, "future",
                           available_from=(now + timedelta(days=3)).isoformat() + "Z"),
        "in-window": _product(client, admin_headers, "in-window",
                              available_from=(now - timedelta(days=3)).isoformat() + "Z",
                              available_until=(now + timedelta(days=3)).isoformat() + "Z"),
        "business-only": _product(client, admin_headers, "business-only", residential=False, business=True),
        "residential-only": _product(client, admin_headers, "residential-only", residential=True, business=False),
        "no-flags": _product(client, admin_headers, "no-flags", residential=False, business=False),
        "staff-only": _product(client, admin_headers, "staff-only", customer_can_purchase=False),
        "mobile-addon": _product(client, admin_headers, "mobile-addon", category="addon"),
        "internet-addon": _product(client, admin_headers, "internet-addon", category="addon",
                                   service_type="internet"),
        "bundle": _product(client, admin_headers, "bundle", category="bundle", service_type="fixed"),
    }
    ids["needs-mobile"] = _product(client, admin_headers, "needs-mobile", category="addon",
                                   relies_on_list=["mobile"])
    ids["needs-plain"] = _product(client, admin_headers, "needs-plain", category="addon",
                                  relies_on_list=[ids["plain"]])
    return ids


def test_selection_hides_disabled_and_out_of_window_but_management_list_shows_all(client, admin_headers,
                                                                                   make_user, catalogue):
    offered = _slugs(client.get("/crm/product/", headers=admin_headers))
    assert {"plain", "in-window", "bundle", "mobile-addon"} <= offered
    assert not {"disabled", "expired", "future"} & offered
    everything = _slugs(client.get("/crm/product/paginated?per_page=100", headers=admin_headers))
    assert everything == set(_slug for _slug in catalogue)
    with_disabled = _slugs(client.get("/crm/product/?include_disabled=true", headers=admin_headers))
    assert {"disabled", "expired", "future"} <= with_disabled
    seller = make_user(permissions=["view_product"])
    assert client.get("/crm/product/?include_disabled=true", headers=seller).status_code == 403
    assert client.get("/crm/product/", headers=seller).status_code == 200
    body = client.get('/crm/product/paginated?filters={"category": ["addon"]}&sort=product_slug',
                      headers=admin_headers).get_json()
    assert [p["product_slug"] for p in body["data"]] == ["internet-addon", "mobile-addon", "needs-mobile",
                                                         "needs-plain"]
    assert body["pagination"]["total_items"] == 4
    response = client.get('/crm/product/paginated?filters={"colour": ["red"]}', headers=admin_headers)
    assert response.status_code == 400 and "filters.colour" in response.get_json()["errors"]


def test_account_type_and_dependency_rules(app, client, admin_headers, catalogue):
    individual = make_customer(app, "Ana", "Individual")
    business = make_customer(app, "Acme", "Business")
    for_individual = _slugs(client.get(f"/crm/product/?customer_id={individual}", headers=admin_headers))
    assert {"residential-only", "no-flags", "plain"} <= for_individual
    assert "business-only" not in for_individual
    for_business = _slugs(client.get(f"/crm/product/?customer_id={business}", headers=admin_headers))
    assert {"business-only", "plain"} <= for_business
    assert not {"residential-only", "no-flags"} & for_business
    assert _slugs(client.get("/crm/product/?account_type=Business", headers=admin_headers)) == for_business | {
        "needs-mobile", "needs-plain"}
    assert client.get("/crm/product/?account_type=Alien", headers=admin_headers).status_code == 400
    customer = make_customer(app, "Deps")
    offered = _slugs(client.get(f"/crm/product/?customer_id={customer}", headers=admin_headers))
    assert not {"needs-mobile", "needs-plain"} & offered
    make_service(app, customer, service_type="mobile")
    offered = _slugs(client.get(f"/crm/product/?customer_id={customer}", headers=admin_headers))
    assert "needs-mobile" in offered and "needs-plain" not in offered
    make_service(app, customer, service_type="mobile", product_id=catalogue["plain"], status="Deactivated")
    offered = _slugs(client.get(f"/crm/product/?customer_id={customer}", headers=admin_headers))
    assert "needs-plain" not in offered  # an ended service does not satisfy a dependency
    make_service(app, customer, service_type="mobile", product_id=catalogue["plain"])
    assert "needs-plain" in _slugs(client.get(f"/crm/product/?customer_id={customer}", headers=admin_headers))


def test_addons_match_the_service_and_category_filters(app, client, admin_headers, catalogue):
    customer = make_customer(app)
    mobile = make_service(app, customer, service_type="mobile")
    internet = make_service(app, customer, service_type="internet")
    assert _slugs(client.get(f"/crm/product/?service_id={mobile}", headers=admin_headers)) == {
        "mobile-addon", "needs-mobile"}
    assert _slugs(client.get(f"/crm/product/?service_id={internet}", headers=admin_headers)) == {"internet-addon"}
    assert client.get(f"/crm/product/?service_id={mobile}&category=standalone",
                      headers=admin_headers).status_code == 400
    assert client.get("/crm/product/?service_id=999999", headers=admin_headers).status_code == 404
    plans = _slugs(client.get("/crm/product/?category=standalone,bundle", headers=admin_headers))
    assert "bundle" in plans and "plain" in plans and "mobile-addon" not in plans
    assert _slugs(client.get("/crm/product/?category=addon&service_type=internet",
                             headers=admin_headers)) == {"internet-addon"}
    assert _slugs(client.get('/crm/product/?filters={"service_type": ["fixed"]}',
                             headers=admin_headers)) == {"bundle"}
    assert client.get("/crm/product/?category=plan", headers=admin_headers).status_code == 400


def test_customer_users_only_see_self_purchasable_products_for_themselves(app, client, admin_headers, make_user,
                                                                          catalogue):
    own = make_customer(app, "Self", "Individual")
    other = make_customer(app, "Other", "Individual")
    me = customer_login(app, make_user, own)
    mine = _slugs(client.get("/crm/product/", headers=me))
    assert "plain" in mine and "staff-only" not in mine and "business-only" not in mine
    staff_view = _slugs(client.get(f"/crm/product/?customer_id={own}", headers=admin_headers))
    assert "staff-only" in staff_view
    assert client.get(f"/crm/product/?customer_id={other}", headers=me).status_code == 404
    assert client.get("/crm/product/paginated", headers=me).status_code == 403
    assert client.get("/crm/product/?include_disabled=true", headers=me).status_code == 403
    item = client.get(f"/crm/product/product_id/{catalogue['plain']}", headers=me).get_json()
    assert "comment" not in item and "wholesale_cost" not in item and item["retail_cost"] == "0.00"
    assert client.post("/crm/product/", headers=me, json={"product_name": "x"}).status_code == 403
