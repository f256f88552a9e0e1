"""Issue 11 finding 0 and issue 12 finding 3: what a provisioning order may carry, per caller type.

The attack: extra request keys reached the playbook and Ansible templated them, so a subscriber ran commands on
the host (`package_name: "{{ lookup('pipe', ...) }}"`), set their own price and allowances, or picked the play."""
import json

from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.billing.models import Transaction
from omnicrm.communications.models import Communication
from omnicrm.customers.models import Contact
from omnicrm.inventory.models import InventoryTemplate
from omnicrm.products.models import Product
from omnicrm.provisioning.models import Provision, ProvisionEvent
from tests.provisioning.reference_helpers import reference  # noqa: F401 - fixture

PAYLOAD = "{{ lookup('pipe','id -un; hostname; echo INJ$((6*7))') }}"
COMMAND_OUTPUT = "INJ42"


def customer_headers(ref, make_user):
    with ref.app.app_context():
        contact_id = db.session.scalar(select(Contact.contact_id).where(Contact.customer_id == ref.customer_id))
    return make_user(roles=["Customer"], contact_id=contact_id)


def sim_items(ref):
    return {"SIM Card": ref.free_items("SIM Card")[0], "Mobile Number": ref.free_items("Mobile Number")[0]}


def configure(ref, slug, **fields):
    with ref.app.app_context():
        product = db.session.scalar(select(Product).where(Product.product_slug == slug))
        for name, value in fields.items():
            setattr(product, name, value)
        db.session.commit()
        return product.product_id


def put(ref, headers, **body):
    return ref.client.put("/crm/provision/", json={"customer_id": ref.customer_id, **body}, headers=headers)


def everything_stored(ref):
    """Every text the jobs left behind: transaction titles, task events, activity log, e-mails."""
    with ref.app.app_context():
        texts = [f"{t.title} {t.description}" for t in db.session.scalars(select(Transaction))]
        texts += [e.event_name + (e.provisioning_result_json or "") for e in db.session.scalars(select(ProvisionEvent))]
        texts += [a.description or "" for a in db.session.scalars(select(ActivityLog))]
        texts += [json.dumps([c.subject, c.text_part, c.variables], default=str)
                  for c in db.session.scalars(select(Communication))]
        texts += [p.provisioning_json_vars or "" for p in db.session.scalars(select(Provision))]
    return "\n".join(texts)


def test_undeclared_overrides_are_refused_for_subscribers_and_staff(reference, make_user):
    ref = reference
    product_id = ref.product("Mobile-SIM")
    customer = customer_headers(ref, make_user)
    staff = make_user(permissions=["create_provision", "view_provision"])
    base = {"product_id": product_id, **sim_items(ref)}
    for headers in (customer, staff):
        for key, value in (("package_name", PAYLOAD), ("monthly_cost", 0), ("data_gb", 5000), ("days", 3650),
                           ("Rental Modem", ref.free_items("Rental Modem")[0])):
            refused = put(ref, headers, **base, **{key: value})
            assert refused.status_code == 400, (key, refused.get_json())
            assert "override" in refused.get_json()["errors"][key]
    not_offered = put(ref, customer, **base)  # SIM Cards are not in the subscribers' dropdown (demo template)
    assert not_offered.status_code == 400
    assert not_offered.get_json()["errors"]["SIM Card"] == "inventory of type 'SIM Card' is not offered to subscribers"
    chosen_play = put(ref, customer, **base, provisioning_play="play_simple_service")
    assert chosen_play.status_code == 400
    assert chosen_play.get_json()["errors"]["provisioning_play"] == "subscribers cannot choose the playbook"
    with ref.app.app_context():
        assert db.session.scalar(select(Provision.provision_id)) is None
    assert COMMAND_OUTPUT not in everything_stored(ref)


def test_subscribers_never_override_prices_even_when_declared(reference, make_user):
    ref = reference
    product_id = configure(ref, "Mobile-SIM", provisioning_json_vars=json.dumps(
        {"overridable": {"customer": ["monthly_cost", "data_gb", "provisioning_play", "nickname"]}}))
    customer = customer_headers(ref, make_user)
    refused = put(ref, customer, product_id=product_id, monthly_cost=0, data_gb=5000, **sim_items(ref))
    assert refused.status_code == 400
    errors = refused.get_json()["errors"]
    assert "override" in errors["monthly_cost"] and "override" in errors["data_gb"]


def test_declared_override_reaches_the_playbook_as_text_never_run(reference, make_user):
    ref = reference
    product_id = configure(ref, "Mobile-SIM", provisioning_play="play_simple_service", provisioning_json_vars=(
        json.dumps({"overridable": {"staff": ["package_name"], "customer": ["package_name"]}})))
    with ref.app.app_context():
        db.session.scalar(select(InventoryTemplate).where(InventoryTemplate.item == "SIM Card")) \
            .allow_customer_dropdown = True
        db.session.commit()
    customer = customer_headers(ref, make_user)
    sales = make_user(permissions=["create_provision", "view_provision"])  # the job token, not the user, calls back
    for headers in (customer, sales):
        response = put(ref, headers, product_id=product_id, package_name=PAYLOAD, **sim_items(ref))
        assert response.status_code == 200, response.get_json()
        job = ref.job(response.get_json()["provision_id"])
        assert job["provisioning_status"] == 0, job
    titles = [title for title, _cost, _service in ref.charges()]
    assert titles == [f"{PAYLOAD} - Setup"] * 2
    assert COMMAND_OUTPUT not in everything_stored(ref)


def test_api_keys_follow_their_own_declaration(reference, app):
    ref = reference
    product_id = configure(ref, "Mobile-SIM", provisioning_json_vars=json.dumps(
        {"overridable": {"staff": ["note"], "api_key": []}}))
    app.config["CRM"]["api_keys"]["k" * 32] = {"roles": ["admin"], "ips": None, "description": "billing"}
    try:
        refused = put(ref, {"X-API-KEY": "k" * 32}, product_id=product_id, note="x", **sim_items(ref))
    finally:
        del app.config["CRM"]["api_keys"]["k" * 32]
    assert refused.status_code == 400 and "API keys" in refused.get_json()["errors"]["note"]


# ------------------------------------------------------------------ issue 12 finding 3: product rules, every caller

def _rules_world(app, catalogue):
    """The home customer's mobile service, an internet add-on, a mobile add-on needing product 'Fibre' (not held)."""
    from omnicrm.services.models import Service
    with app.app_context():
        service = Service(customer_id=catalogue["home"], product_id=catalogue["product"], service_name="Mobile",
                          service_type="mobile", service_uuid="Rules_1", service_status="Active")
        fibre = Product(product_name="Fibre", product_slug="fibre", category="standalone", service_type="internet",
                        provisioning_play="test_quick", enabled=True, customer_can_purchase=True)
        db.session.add_all([service, fibre])
        db.session.flush()
        internet_addon = Product(product_name="Static IP", product_slug="static-ip", category="addon",
                                 service_type="internet", provisioning_play="test_quick", enabled=True,
                                 customer_can_purchase=True)
        needs_fibre = Product(product_name="Mobile+Fibre promo", product_slug="mobile-fibre", category="addon",
                              service_type="mobile", provisioning_play="test_quick", enabled=True,
                              customer_can_purchase=True, relies_on_list=[fibre.product_id])
        db.session.add_all([internet_addon, needs_fibre])
        db.session.commit()
        return {"service": service.service_id, "internet_addon": internet_addon.product_id,
                "needs_fibre": needs_fibre.product_id}


def _callers(app, make_user, catalogue):
    with app.app_context():
        contact = Contact(customer_id=catalogue["home"], contact_firstname="Jane", contact_email="j@example.com")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.contact_id
    key = "r" * 32
    app.config["CRM"]["api_keys"][key] = {"roles": ["admin"], "ips": None, "description": "rules"}
    return {"staff": make_user(permissions=["create_provision", "view_provision"]),
            "customer": make_user(roles=["Customer"], contact_id=contact_id), "api_key": {"X-API-KEY": key}}


def test_order_rules_hold_for_staff_api_keys_and_subscribers(app, client, make_user, catalogue, provisioning_config):
    world = _rules_world(app, catalogue)
    callers = _callers(app, make_user, catalogue)
    try:
        for caller, headers in callers.items():
            wrong_type = client.put("/crm/provision/", headers=headers, json={
                "product_id": world["internet_addon"], "customer_id": catalogue["home"],
                "service_id": world["service"]})
            assert wrong_type.status_code == 400, (caller, wrong_type.get_json())
            assert wrong_type.get_json()["errors"]["service_id"].startswith("rule service_type:")
            unmet = client.put("/crm/provision/", headers=headers, json={
                "product_id": world["needs_fibre"], "customer_id": catalogue["home"], "service_id": world["service"]})
            assert unmet.status_code == 400, (caller, unmet.get_json())
            assert unmet.get_json()["errors"]["product_id"].startswith("rule relies_on_list:")
        callback = client.post(f"/crm/provision/simple_provision_addon/service_id/{world['service']}/product_id/"
                               f"{world['internet_addon']}", headers=callers["api_key"])
        assert callback.status_code == 400 and "rule service_type" in callback.get_json()["errors"]["service_id"]
    finally:
        app.config["CRM"]["api_keys"].pop("r" * 32)
    with app.app_context():
        assert db.session.scalar(select(Provision.provision_id)) is None


def test_jobs_on_a_service_that_is_not_active_are_refused_with_409(app, client, make_user, catalogue,
                                                                    provisioning_config):
    from omnicrm.services.models import Service
    world = _rules_world(app, catalogue)
    callers = _callers(app, make_user, catalogue)
    with app.app_context():
        mobile_addon = Product(product_name="Data", product_slug="data-1", category="addon", service_type="mobile",
                               provisioning_play="test_quick", enabled=True, customer_can_purchase=True)
        db.session.add(mobile_addon)
        db.session.commit()
        addon_id = mobile_addon.product_id
    try:
        for status in ("Suspended", "Inactive", "Deactivated", "Pending Cancellation"):
            with app.app_context():
                db.session.get(Service, world["service"]).service_status = status
                db.session.commit()
            for caller, headers in callers.items():
                refused = client.put("/crm/provision/", headers=headers, json={
                    "product_id": addon_id, "customer_id": catalogue["home"], "service_id": world["service"]})
                assert refused.status_code == 409, (status, caller, refused.get_json())
                assert refused.get_json()["message"] == (f"Service {world['service']} is {status}: provisioning "
                                                         "runs only on an Active service")
            renewal = client.post(f"/crm/provision/simple_provision_addon/service_id/{world['service']}/product_id/"
                                  f"{addon_id}", headers=callers["api_key"])
            assert renewal.status_code == 409
    finally:
        app.config["CRM"]["api_keys"].pop("r" * 32)
    with app.app_context():
        assert db.session.scalar(select(Provision.provision_id)) is None
