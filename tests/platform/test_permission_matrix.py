"""Walks every registered /crm endpoint: each one declares its access, refuses anonymous callers and callers
without its permission, and a customer user never reaches another customer's records whatever its role holds.
The endpoint list comes from the app's routes, so an endpoint added later is attacked automatically."""
import json
import re
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.auth import sessions
from omnicrm.auth.models import Permission, Role, User
from omnicrm.auth.passwords import hash_password
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.communications.models import Communication
from omnicrm.customers.models import Contact, Customer, CustomerAttribute, CustomerTag, Site
from omnicrm.db import Base
from omnicrm.inventory.models import Inventory, InventoryTemplate
from omnicrm.payments.models import StripeCard
from omnicrm.products.models import Product
from omnicrm.provisioning.models import Provision, ProvisionEvent
from omnicrm.services.models import Service
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login

IGNORED = {"crm.specs", "crm.doc", "crm._docs_with_slash", "crm.root", "restx_doc.static", "oam.specs", "oam.doc",
           "oam.root"}
# The public top-up portal's API (/oam, its own Swagger at /oam/swagger.json) is walked like /crm.
API_PREFIXES = ("/crm", "/oam")
MARK = "zzbravo"  # every text of customer B carries it: a response showing it to A's user is a leak
# Acts on the caller's own session only (no id): calling it would end the attacker's login mid-walk.
OWN_SESSION_ONLY = {("POST", "/crm/auth/logout")}
# Path ids of the shared catalogue (everybody's), not of a customer: reading them is not a leak.
CATALOGUE_IDS = {"product_id", "repeated_product_id", "inventory_template_id"}


def _endpoints(app):
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIXES) or rule.endpoint in IGNORED:
            continue
        view = app.view_functions[rule.endpoint]
        resource = getattr(view, "view_class", None)
        assert resource is not None, f"{rule.rule} is not a flask-restx Resource"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method, getattr(resource, method.lower())))
    return found


def _url(rule, ids=None):
    """The rule with its placeholders filled from `ids` (by parameter name), else 1 / "x"."""
    ids = ids or {}

    def fill(match):
        converter, name = match.group(1), match.group(2)
        assert ids == {} or name in ids, f"{rule.rule}: no id of customer B for <{name}>; add one to bravo()"
        return str(ids.get(name, "1" if converter in ("int", "float") else "x"))
    return re.sub(r"<(?:(\w+):)?(\w+)>", fill, rule.rule)


def test_every_endpoint_declares_its_access(app):
    undeclared = [f"{method} {rule.rule}" for rule, method, fn in _endpoints(app)
                  if not getattr(fn, "is_public", False) and not hasattr(fn, "required_permissions")]
    assert undeclared == [], "endpoints without @requires/@authenticated/@public"
    assert len(_endpoints(app)) > 20


def test_callers_without_the_permission_are_refused(app, client, make_user):
    nobody = make_user(permissions=())
    checked = 0
    for rule, method, fn in _endpoints(app):
        if getattr(fn, "is_public", False) or not getattr(fn, "required_permissions", ()):
            continue
        response = client.open(_url(rule), method=method, json={}, headers=nobody)
        assert response.status_code == 403, f"{method} {rule.rule} answered {response.status_code} without " \
                                             f"{fn.required_permissions}"
        checked += 1
    assert checked > 15


# --- two customers with data, and attackers -----------------------------------------------------------------


def _customer_with_data(name, product, template, admin_id):
    """A customer with a contact, site, attribute, tag, service, assigned SIM, transaction, invoice (with a billed
    transaction), provisioning job
    with an event, activity entry and sent e-mail; every text carries the customer's name."""
    customer = Customer(customer_name=name, customer_account_type="Business", customer_status="Active")
    db.session.add(customer)
    db.session.flush()
    cid = customer.customer_id
    low = name.lower()
    contact = Contact(customer_id=cid, contact_firstname=name, contact_lastname=name,
                      contact_email=f"{low}@example.com")
    site = Site(customer_id=cid, site_name=f"{name} site", address_line_1=f"1 {name} street")
    service = Service(customer_id=cid, product_id=product.product_id, service_name=f"{name} mobile",
                      service_uuid=f"Mobile_{low}_{uuid.uuid4().hex[:6]}", service_type="mobile",
                      service_status="Active", service_visible_to_customer=True,
                      service_usage_visible_to_customer=True)
    db.session.add_all([contact, site, service,
                        CustomerAttribute(customer_id=cid, attribute_name=f"{low}_attr", attribute_value=name),
                        CustomerTag(customer_id=cid, tag_text=f"{name} tag", tag_hex_color="ff0000")])
    db.session.flush()
    sim = Inventory(item="SIM Card", inventory_template_id=template.inventory_template_id, customer_id=cid,
                    service_id=service.service_id, item_state="Assigned", itemtext1=f"8961{cid:06d}{low[:4]}",
                    inventory_notes=name)
    invoice = Invoice(customer_id=cid, title=f"{name} invoice", retail_cost=Decimal("5.00"),
                      start_date=datetime(2026, 1, 1), end_date=datetime(2026, 1, 31), due_date=datetime(2026, 2, 1))
    db.session.add(invoice)
    db.session.flush()
    billed = Transaction(customer_id=cid, invoice_id=invoice.invoice_id, title=f"{name} billed fee",
                         retail_cost=Decimal("5.00"), created=datetime(2026, 1, 2))
    transaction = Transaction(customer_id=cid, service_id=service.service_id, title=f"{name} fee",
                              retail_cost=Decimal("10.00"))
    job = Provision(product_id=product.product_id, customer_id=cid, service_id=service.service_id,
                    provisioning_play="play_mobile", playbook_description=f"{name} job", provisioning_status=2,
                    initiating_user=admin_id, finished=datetime(2026, 1, 1))
    card = StripeCard(customer_id=cid, customer_stripe_id=f"pm_{low}_{uuid.uuid4().hex[:8]}", brand="visa",
                      last4="4242", exp_month=1, exp_year=2027, nickname=f"{name} card", is_default=True,
                      default_of=cid)
    db.session.add_all([sim, billed, transaction, job, card])
    db.session.flush()
    event = ProvisionEvent(provision_id=job.provision_id, event_name=f"{name} task", event_number=1,
                           provisioning_status=2, provisioning_result_json=json.dumps({"msg": name}))
    activity = ActivityLog(customer_id=cid, entity_type="customer", entity_id=str(cid), action="update",
                           description=f"{name} updated", actor="user:admin@example.com")
    mail = Communication(from_email="noreply@example.com", to_email=contact.contact_email,
                         subject=f"{name} hello", status="sent", customer_id=cid)
    db.session.add_all([event, activity, mail])
    db.session.flush()
    return {"customer_id": cid, "contact_id": contact.contact_id, "site_id": site.site_id,
            "service_id": service.service_id, "service_uuid": service.service_uuid,
            "inventory_id": sim.inventory_id, "transaction_id": transaction.transaction_id,
            "invoice_id": invoice.invoice_id, "card_id": card.card_id, "customer_stripe_id": card.customer_stripe_id,
            "provision_id": job.provision_id, "activity_id": activity.activity_id,
            "communication_id": mail.communication_id,
            "attribute_id": db.session.scalar(select(CustomerAttribute.attribute_id)
                                              .where(CustomerAttribute.customer_id == cid)),
            "tag_id": db.session.scalar(select(CustomerTag.tag_id).where(CustomerTag.customer_id == cid)),
            "email": contact.contact_email}


def _user(email, contact_id=None, roles=(), permissions=()):
    role_objs = list(db.session.scalars(select(Role).where(Role.name.in_(roles)))) if roles else []
    if permissions:
        role = Role(name=f"matrix-{uuid.uuid4().hex[:8]}",
                    permissions=list(db.session.scalars(select(Permission).where(Permission.name.in_(permissions)))))
        role_objs.append(role)
    user = User(username=email.split("@")[0], email=email, password=hash_password("Passw0rd!x"),
                first_name="Matrix", last_name="User", roles=role_objs, contact_id=contact_id)
    db.session.add(user)
    db.session.flush()
    return user.id


@pytest.fixture
def two_customers(app, client, ocs):
    """Customer A (with a self-care user) and customer B ("Zzbravo": the victim), with data of every kind."""
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL))
        product = Product(product_name="Matrix Mobile", product_slug="matrix-mobile", category="standalone",
                          service_type="mobile", enabled=True, customer_can_purchase=True,
                          retail_cost=Decimal("30.00"), provisioning_play="play_mobile")
        addon = Product(product_name="Matrix Addon", product_slug="matrix-addon", category="addon",
                        service_type="mobile", enabled=True, customer_can_purchase=True,
                        retail_cost=Decimal("5.00"), provisioning_play="play_addon")
        template = InventoryTemplate(item="SIM Card", allow_customer_dropdown=True)
        db.session.add_all([product, addon, template])
        db.session.flush()
        alpha = _customer_with_data("Alpha", product, template, admin_id)
        bravo = _customer_with_data(MARK.capitalize(), product, template, admin_id)
        bravo["product_id"] = bravo["repeated_product_id"] = addon.product_id
        bravo["inventory_template_id"] = template.inventory_template_id
        bravo["user_id"] = _user("victim@example.com", contact_id=bravo["contact_id"], roles=["Customer"])
        bravo["session_id"] = sessions.start(db.session.get(User, bravo["user_id"]), "127.0.0.1", "victim", False).id
        bravo["api_key_id"] = bravo["role_id"] = bravo["permission_id"] = 1
        bravo["event"] = "Action_Balance_Low"  # /crm/hotspot_topup/balance_event/<event>
        bravo["cbc_message_id"] = bravo["zone_id"] = 1  # cell broadcast: staff only, no customer data
        bravo["action_plan_id"] = f"ServiceID_{bravo['service_uuid']}__ProductID_{addon.product_id}__Monthly"
        _user("alpha.customer@example.com", contact_id=alpha["contact_id"], roles=["Customer"])
        everything = [p for p in db.session.scalars(select(Permission.name)) if p != "admin"]
        _user("alpha.overgranted@example.com", contact_id=alpha["contact_id"], permissions=everything)
        db.session.commit()
    ocs.ok("ApierV2.SetAccount", {"Tenant": "cgrates.org", "Account": bravo["service_uuid"]})
    ocs.ok("ApierV1.SetActions", {"ActionsId": "Act_bravo", "Overwrite": True, "Actions": [
        {"Identifier": "*topup", "BalanceType": "*data", "BalanceId": "DATA_5GB", "Units": 5368709120}]})
    ocs.ok("ApierV1.SetActionPlan", {"Id": bravo["action_plan_id"], "Overwrite": True, "ReloadScheduler": True,
                                     "ActionPlan": [{"ActionsId": "Act_bravo", "Time": "*monthly", "Weight": 10}]})
    ocs.ok("ApierV2.SetAccount", {"Tenant": "cgrates.org", "Account": bravo["service_uuid"],
                                  "ActionPlanIDs": [bravo["action_plan_id"]], "ReloadScheduler": True})
    return {"alpha": alpha, "bravo": bravo,
            "customer": bearer(login(client, "alpha.customer@example.com", "Passw0rd!x")["token"]),
            "overgranted": bearer(login(client, "alpha.overgranted@example.com", "Passw0rd!x")["token"]),
            "admin": bearer(login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"])}


def _attack_body(bravo):
    """A write body pointing at B everywhere an id can go, with text a spammer would send."""
    return {"customer_id": bravo["customer_id"], "contact_id": bravo["contact_id"], "site_id": bravo["site_id"],
            "service_id": bravo["service_id"], "inventory_id": bravo["inventory_id"],
            "provision_id": bravo["provision_id"], "transaction_id": bravo["transaction_id"],
            "product_id": bravo["product_id"], "service_ids": [bravo["service_id"]],
            "invoice_id": bravo["invoice_id"], "transaction_ids": [bravo["transaction_id"]],
            "start_date": "2000-01-01", "end_date": "2099-12-31", "due_date": "2099-12-31",
            "payment_method": "Cash",
            "inventory_template_id": bravo["inventory_template_id"], "amount": "10.00",
            "title": "Pwned", "package_name": "Pay at http://evil.example", "subject": "Your account",
            "message": "Click http://evil.example",
            "text": "Click http://evil.example", "contact_email": "attacker@example.com",
            "customer_name": "Pwned", "service_status": "Deactivated", "action": "set_status"}


def _snapshot_of(customer_id):
    """Every row that belongs to customer B, in every table with a customer_id column, plus the mails and jobs
    addressed to it, so a write that slipped through shows up as a difference."""
    db.session.rollback()
    rows = {}
    for table in Base.metadata.sorted_tables:
        if "customer_id" not in table.c:
            continue
        result = db.session.execute(select(table).where(table.c.customer_id == customer_id)
                                    .order_by(*table.primary_key.columns)).all()
        rows[table.name] = [tuple(str(v) for v in row) for row in result]
    return rows


def _requests(rule, method, alpha, bravo):
    """(query, body) pairs for one route: reads with B's id, name and filters; writes pointing at B entirely, and
    at the caller's own customer with B's records inside (an order for oneself on B's service)."""
    if method == "GET":
        if rule.arguments:
            return [({}, None)]
        return [({}, None), ({"search": MARK}, None), ({"customer_id": bravo["customer_id"]}, None),
                ({"filters": json.dumps({"customer_id": bravo["customer_id"]})}, None)]
    return [({}, _attack_body(bravo)), ({}, {**_attack_body(bravo), "customer_id": alpha["customer_id"]})]


def _walk(client, app, headers, alpha, bravo):
    """Every endpoint called with B's ids in the path and the body; returns the answers that gave B away."""
    leaks = []
    for rule, method, fn in _endpoints(app):
        if getattr(fn, "is_public", False) or (method, rule.rule) in OWN_SESSION_ONLY:
            continue
        url = _url(rule, bravo)
        has_id = any(name not in CATALOGUE_IDS for name in rule.arguments)
        for query, body in _requests(rule, method, alpha, bravo):
            response = client.open(url, method=method, json=body, query_string=query, headers=headers)
            text = response.get_data(as_text=True)
            shown = f"{method} {url} {query} {body and body['customer_id']}: {response.status_code} {text[:200]}"
            if response.status_code >= 500:
                leaks.append(shown)
            elif 200 <= response.status_code < 300 and (has_id or method != "GET" or MARK in text.lower()):
                leaks.append(shown)
    return leaks


@pytest.mark.parametrize("attacker", ["customer", "overgranted"])
def test_customer_user_never_reaches_another_customer(app, client, two_customers, attacker):
    """The Customer role, and a customer user whose role holds every permission but admin: each request with
    one of customer B's ids (path or body) is refused, no list shows B's data, and nothing of B changes."""
    bravo = two_customers["bravo"]
    headers = two_customers[attacker]
    with app.app_context():
        before = _snapshot_of(bravo["customer_id"])
    # The attacker is a working self-care user: it sees its own customer (so the refusals below mean something).
    own = client.get(f"/crm/customer/customer_id/{two_customers['alpha']['customer_id']}", headers=headers)
    assert own.status_code == 200, own.get_json()
    leaks = _walk(client, app, headers, two_customers["alpha"], bravo)
    assert leaks == [], "customer A's user reached customer B:\n" + "\n".join(leaks)
    with app.app_context():
        assert _snapshot_of(bravo["customer_id"]) == before
        mails = db.session.scalars(select(Communication.to_email)).all()
    assert [m for m in mails if bravo["email"] in m] == [bravo["email"]]  # only the one seeded


def test_welcome_email_to_another_customer_is_refused(client, two_customers, app):
    """Finding 4 as reported: the Customer role holds create_provision, and the welcome e-mail endpoint's
    customer check never fired, so a subscriber mailed arbitrary text to another customer's contacts."""
    bravo = two_customers["bravo"]
    response = client.post(f"/crm/provision/welcome_email/customer_id/{bravo['customer_id']}",
                           json={"package_name": "Your account is suspended, pay at http://evil.example"},
                           headers=two_customers["customer"])
    assert response.status_code == 403
    with app.app_context():
        sent = db.session.scalars(select(Communication).where(Communication.customer_id == bravo["customer_id"]))
        assert len(sent.all()) == 1  # the seeded one only


def test_anonymous_callers_are_refused_everywhere(app, client, two_customers):
    bravo = two_customers["bravo"]
    for rule, method, fn in _endpoints(app):
        if getattr(fn, "is_public", False):
            continue
        for url in (_url(rule), _url(rule, bravo)):
            response = client.open(url, method=method, json=_attack_body(bravo))
            assert response.status_code == 401, f"{method} {url} answered {response.status_code} to anonymous"
            assert response.get_json()["message"]


@pytest.mark.parametrize("path", ["/crm/health", "/crm/swagger.json", "/oam/swagger.json"])
def test_public_documents(client, path):
    assert client.get(path).status_code == 200


def test_swagger_documents_every_endpoint(app, client):
    documented = set()
    for prefix in API_PREFIXES:
        spec = client.get(f"{prefix}/swagger.json").get_json()
        documented |= {(prefix + p, m.upper()) for p, ops in spec["paths"].items() for m in ops if m != "parameters"}
    for rule, method, _fn in _endpoints(app):
        swagger_path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert (swagger_path, method) in documented, f"{method} {rule.rule} missing from Swagger"
    assert any(rule.rule.startswith("/oam") for rule, _m, _fn in _endpoints(app))
    assert client.get("/crm/docs").status_code == 200
    assert client.get("/oam/docs").status_code == 200


def test_unknown_api_path_is_json_404(client):
    response = client.get("/crm/no/such/thing")
    assert response.status_code == 404
    assert response.get_json()["message"]

