"""Issue #13 finding 6 and #12 finding 4 (in-process path): the "Pending Cancellation" grace period (spec 06 §11.2)
with time travel. Cancel or a failed renewal starts it; renewals stop but the service stays usable; paying (back to
Active) within the period reverts it; after it, the scheduled job deprovisions everything: OCS, HSS, inventory."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.db import utcnow
from omnicrm.inventory.models import Inventory, InventoryTemplate
from omnicrm.products.models import Product
from omnicrm.provisioning.models import STATUS_FAILED, STATUS_SUCCESS, Provision
from omnicrm.provisioning.orders import check_service_rules
from omnicrm.provisioning.runner import finish_job
from omnicrm.services.lifecycle import expire_grace_periods, run_scheduled
from omnicrm.services.models import Service
from tests.charging.test_ocs_lifecycle import _account, _sms, make_renewing_service
from tests.services.helpers import make_product

IMSI = "001010000000042"


@pytest.fixture
def renewing(app, client, admin_headers, ocs, ocs_clock, hss):
    ocs_clock.start("2027-01-31T10:00:00Z")
    made = make_renewing_service(app, client, admin_headers, ocs, "Mobile_SIM_grace01")
    with app.app_context():
        sim_t = InventoryTemplate(item="SIM Card", itemtext2_label="IMSI")
        num_t = InventoryTemplate(item="Mobile Number")
        db.session.add_all([sim_t, num_t])
        db.session.flush()
        items = [Inventory(item="SIM Card", inventory_template_id=sim_t.inventory_template_id,
                           itemtext1="8961000000000042", itemtext2=IMSI,
                           item_state="Assigned", customer_id=made["customer_id"], service_id=made["service_id"]),
                 Inventory(item="Mobile Number", inventory_template_id=num_t.inventory_template_id,
                           itemtext1="+61491570042", item_state="Assigned", customer_id=made["customer_id"],
                           service_id=made["service_id"])]
        db.session.add_all(items)
        db.session.commit()
        made["sim"], made["number"] = items[0].inventory_id, items[1].inventory_id
    hss.subscribers[IMSI] = {"imsi": IMSI, "msisdn": "61491570042", "enabled": True}
    return made


def _service(app, service_id):
    with app.app_context():
        service = db.session.get(Service, service_id)
        return None if service is None else (service.service_status, service.grace_period_end)


def _item(app, inventory_id):
    with app.app_context():
        item = db.session.get(Inventory, inventory_id)
        return item.item_state, item.customer_id, item.service_id, item.quarantine_until


def _job_ends(renewing, product_id, outcome):
    """A provisioning job of `product_id` on the service, ended with `outcome` the way the engine ends one."""
    job = Provision(provisioning_play="play_local_data_addon", service_id=renewing["service_id"],
                    product_id=product_id, customer_id=renewing["customer_id"])
    db.session.add(job)
    db.session.commit()
    finish_job(job.provision_id, outcome, "card declined" if outcome == STATUS_FAILED else None)


def _cancel(client, headers, service_id):
    response = client.post(f"/crm/service/{service_id}/cancel", json={"reason": "Moving abroad"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_cancel_then_paid_within_the_grace_period_reverts(app, client, admin_headers, ocs, ocs_clock, renewing):
    sid, uuid = renewing["service_id"], renewing["uuid"]
    body = _cancel(client, admin_headers, sid)
    assert body["service_status"] == "Pending Cancellation" and body["cgrates"]["ActionPlans"] == []
    status, end = _service(app, sid)
    assert abs(end - (utcnow() + timedelta(days=14))) < timedelta(minutes=1)
    assert _account(ocs, uuid)["Disabled"] is False  # still usable during the grace period
    assert ocs_clock.advance(months=2) == []  # and never renewed (charged) while pending

    paid = client.patch(f"/crm/service/{sid}", json={"service_status": "Active"}, headers=admin_headers)
    assert paid.status_code == 200 and _service(app, sid) == ("Active", None)
    with app.app_context():
        assert expire_grace_periods(utcnow() + timedelta(days=30)) == {}
    assert [f["Time"][:10] for f in ocs_clock.advance(months=2)] == ["2027-05-31"]
    assert _sms(ocs, uuid) == 100
    assert client.post(f"/crm/service/{sid}/cancel", json={}, headers=admin_headers).status_code == 400


def test_unpaid_grace_period_ends_in_full_deprovisioning(app, client, admin_headers, ocs, ocs_clock, hss, renewing):
    sid, uuid = renewing["service_id"], renewing["uuid"]
    _cancel(client, admin_headers, sid)
    with app.app_context():
        assert expire_grace_periods(utcnow() + timedelta(days=13)) == {}  # not yet
    assert _service(app, sid)[0] == "Pending Cancellation"
    later = utcnow() + timedelta(days=15)
    with app.app_context():
        result = run_scheduled(later)
    assert result["deprovisioned"] == [sid]
    assert _service(app, sid) == ("Deactivated", None)
    assert _account(ocs, uuid) is None and IMSI not in hss.subscribers
    assert ("DELETE", f"/subscriber/{IMSI}") in hss.calls
    assert _item(app, renewing["sim"])[:3] == ("In Stock", None, None)
    state, customer, service, until = _item(app, renewing["number"])
    assert (state, customer, service) == ("Quarantined", None, None)
    assert abs(until - (later + timedelta(days=30))) < timedelta(seconds=5)
    assert ocs_clock.advance(months=2) == [] and _account(ocs, uuid) is None

    with app.app_context():
        assert run_scheduled(later + timedelta(days=29))["quarantine_ended"] == []
        assert run_scheduled(later + timedelta(days=31))["quarantine_ended"] == [renewing["number"]]
    assert _item(app, renewing["number"]) == ("In Stock", None, None, None)


def test_ocs_down_keeps_the_service_pending_for_the_next_run(app, client, admin_headers, ocs, renewing,
                                                             monkeypatch):
    from tests.fixtures.cgrates import unused_endpoint
    _cancel(client, admin_headers, renewing["service_id"])
    monkeypatch.setitem(app.config["CRM"]["ocs"], "cgrates", unused_endpoint())
    with app.app_context():
        assert expire_grace_periods(utcnow() + timedelta(days=15)) == {}
    assert _service(app, renewing["service_id"])[0] == "Pending Cancellation"
    assert _item(app, renewing["sim"])[0] == "Assigned"


def test_failed_renewal_starts_the_grace_period(app, client, admin_headers, ocs, ocs_clock, renewing):
    other, renewed = make_product(app, "Unrelated add-on", slug="unrelated"), make_product(app, "Monthly 10GB")
    renewing = make_renewing_service(app, client, admin_headers, ocs, "Mobile_SIM_grace02", product_id=renewed)
    sid = renewing["service_id"]
    with app.app_context():
        _job_ends(renewing, other, STATUS_FAILED)
        assert db.session.get(Service, sid).service_status == "Active"  # not a renewal of this service
        _job_ends(renewing, renewed, STATUS_FAILED)
    assert _service(app, sid)[0] == "Pending Cancellation"
    assert renewing["plan_id"] not in {f["ActionPlanID"] for f in ocs_clock.advance(months=2)}
    with app.app_context():
        assert db.session.scalars(select(Service.service_id).where(Service.grace_period_end.isnot(None))).all() == [sid]


def test_customer_cancels_own_service_only(app, client, make_user, renewing, ocs):
    from omnicrm.customers.models import Contact
    with app.app_context():
        contact = Contact(customer_id=renewing["customer_id"], contact_firstname="Own", contact_email="own@example.com")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.contact_id
    me = make_user(permissions=["view_own_customer_service"], contact_id=contact_id)
    _cancel(client, me, renewing["service_id"])
    assert client.post(f"/crm/service/{renewing['service_id']}/cancel", json={"reason": "again"},
                       headers=me).status_code == 409


def test_a_paid_renewal_within_the_grace_period_reverts_to_active(app, client, admin_headers, ocs, ocs_clock,
                                                                  renewing):
    other, renewed = make_product(app, "Unrelated add-on", slug="unrelated"), make_product(app, "Monthly 10GB")
    renewing = make_renewing_service(app, client, admin_headers, ocs, "Mobile_SIM_grace03", product_id=renewed)
    sid = renewing["service_id"]
    with app.app_context():
        _job_ends(renewing, renewed, STATUS_FAILED)
    assert _service(app, sid)[0] == "Pending Cancellation"

    # Only the renewal itself may be ordered on a Pending Cancellation service.
    refused = client.put("/crm/provision/", json={"product_id": other, "service_id": sid,
                                                   "customer_id": renewing["customer_id"]}, headers=admin_headers)
    assert refused.status_code == 409, refused.get_json()
    with app.app_context():
        service, errors = db.session.get(Service, sid), {}
        check_service_rules(db.session.get(Product, renewed), service, service.customer, False, {}, errors)
        assert errors == {}

        _job_ends(renewing, other, STATUS_SUCCESS)
        assert db.session.get(Service, sid).service_status == "Pending Cancellation"  # not the renewal
        _job_ends(renewing, renewed, STATUS_SUCCESS)
    assert _service(app, sid) == ("Active", None)
    assert renewing["plan_id"] in {f["ActionPlanID"] for f in ocs_clock.advance(months=2)}  # renewals resumed
