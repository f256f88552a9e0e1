"""The reference playbooks (Provisioners/plays) run for real through ansible-runner against the live API and the
CGRateS simulator: what each one leaves behind on success, and that a failure late in a play leaves nothing."""
import json
import time
from decimal import Decimal

import pytest

from tests.provisioning.reference_helpers import failed_events, failure_details, reference  # noqa: F401 - fixture

GB = 1073741824


def sim_order(ref):
    sim, number = ref.free_items("SIM Card")[0], ref.free_items("Mobile Number")[0]
    return {"SIM Card": sim, "Mobile Number": number}


def test_local_mobile_sim_failure_rolls_everything_back(reference):
    ref = reference
    items = sim_order(ref)
    job = ref.order("prepaid-mobile-20gb", fail_at_task="Add setup cost transaction", **items)
    assert job["provisioning_status"] == 2
    assert failed_events(job) == ["Add setup cost transaction", "Fail the provisioning unless this is a deprovision"]
    assert ref.services() == [] and ref.accounts() == [] and ref.charges() == []
    assert all(ref.item(i)["customer_id"] is None and ref.item(i)["service_id"] is None
               and ref.item(i)["item_state"] == "In Stock" for i in items.values())


def test_psim_only_and_deprovision(reference):
    ref = reference
    items = sim_order(ref)
    job = ref.order("Mobile-SIM", **items)
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    assert service["service_uuid"].startswith("Service_")
    assert ref.balances(service["service_uuid"]) == {"*monetary": {"Saldo Inicial": 0}}
    assert ref.held_items() == 2
    gone = ref.order("Mobile-SIM", service_id=service["service_id"], action="deprovision")
    assert gone["provisioning_status"] == 0, failure_details(gone)
    assert ref.services()[0]["service_status"] == "Deactivated" and ref.accounts() == []
    assert ref.item(items["SIM Card"])["item_state"] == "In Stock" and ref.held_items() == 0
    assert ref.item(items["Mobile Number"])["item_state"] == "Quarantined"  # the porting period, then In Stock


def test_simple_service_and_late_failure(reference):
    ref = reference
    sims, numbers = ref.free_items("SIM Card", 2), ref.free_items("Mobile Number", 2)
    ok = ref.order("Mobile-SIM", provisioning_play="play_simple_service", wait=False,
                   **{"SIM Card": sims[0], "Mobile Number": numbers[0]})
    bad = ref.order("Mobile-SIM", provisioning_play="play_simple_service", fail_at_task="Add setup cost transaction",
                    wait=False, **{"SIM Card": sims[1], "Mobile Number": numbers[1]})
    ok, bad = ref.job(ok["provision_id"]), ref.job(bad["provision_id"])  # both ran at once in the worker pool
    assert ok["provisioning_status"] == 0, failure_details(ok)
    [service] = ref.services()
    assert service["service_name"] == f"Mobile SIM Only - {service['service_uuid']}"
    assert ref.charges() == [("Mobile SIM Only - Setup", Decimal("0.00"), service["service_id"])]
    assert bad["provisioning_status"] == 2 and "Add setup cost transaction" in failed_events(bad)
    assert [s["service_id"] for s in ref.services()] == [service["service_id"]]
    assert ref.accounts() == [service["service_uuid"]] and len(ref.charges()) == 1


def test_local_mobile_sim_then_topups_and_data_addon(reference):
    """One mobile service (its own run proves play_local_mobile_sim) carries the top-up and add-on runs: each Ansible
    run costs 10-20 s, so the service is made once instead of once per play."""
    ref = reference
    items = sim_order(ref)
    job = ref.order("prepaid-mobile-20gb", **items)
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    assert job["service_id"] == service["service_id"]  # the job links to the service its playbook created
    assert service["service_uuid"].startswith("Local_Mobile_SIM_") and service["service_status"] == "Active"
    assert service["service_type"] == "mobile" and service["service_name"].startswith("Mobile - +61491570")
    assert ref.balances(service["service_uuid"]) == {
        "*data": {"DATA_20GB_Monthly": 20 * GB}, "*voice": {"VOICE_Unlimited": 999999999},
        "*sms": {"SMS_Unlimited": 999999999}}
    for inventory_id in items.values():
        assert ref.item(inventory_id) | {"config_content": None} == {
            "customer_id": ref.customer_id, "service_id": service["service_id"], "item_state": "Assigned",
            "config_content": None, "itemtext3": ref.item(inventory_id)["itemtext3"], "management_url": None}
    assert ref.charges() == [("Prepaid Mobile 20GB - Setup", Decimal("0.00"), service["service_id"])]

    # Top-ups: charge first, then credit the OCS; a failure after the credit undoes both.
    uuid, sid = service["service_uuid"], service["service_id"]
    money = ref.order("Mobile-Topup-5", service_id=sid)
    assert money["provisioning_status"] == 0, failure_details(money)
    assert sum(ref.balances(uuid)["*monetary"].values()) == 5
    boost = ref.order("5gb-data-boost", service_id=sid)
    assert boost["provisioning_status"] == 0, failure_details(boost)
    data = ref.balances(uuid)["*data"]
    assert sorted(data.values()) == [5 * GB, 20 * GB]
    assert [c[:2] for c in ref.charges()[1:]] == [("PAYG £5 Topup", Decimal("5.00")),
                                                   ("5GB Data Boost", Decimal("5.00"))]
    before, charges = ref.balances(uuid), ref.charges()
    failed = ref.order("Mobile-Topup-5", service_id=sid, fail_at_task="Add balance in OCS")
    assert failed["provisioning_status"] == 2 and "Add balance in OCS" in failed_events(failed)
    assert ref.balances(uuid) == before and ref.charges() == charges

    # Data add-on with auto-renew: balance, ActionPlan, charge; switching renew off; a late failure undoes it all.
    product_id = ref.product("extra-10gb-data")
    job = ref.order("extra-10gb-data", service_id=sid, auto_renew="true")
    assert job["provisioning_status"] == 0, failure_details(job)
    assert sorted(ref.balances(uuid)["*data"].values()) == [5 * GB, 10 * GB, 20 * GB]
    assert ref.action_plans(uuid) == [f"ActionPlan_Monthly_{uuid}_{product_id}"]
    assert ref.charges()[-1][:2] == ("Extra 10GB Data", Decimal("10.00"))
    off = ref.order("extra-10gb-data", service_id=sid, auto_renew="false")
    assert off["provisioning_status"] == 0 and ref.action_plans(uuid) == []
    before, charges = ref.balances(uuid), ref.charges()
    bad = ref.order("extra-10gb-data", service_id=sid, auto_renew="true",
                    fail_at_task="Attach the ActionPlan to the account")
    assert bad["provisioning_status"] == 2 and "Attach the ActionPlan to the account" in failed_events(bad)
    assert ref.balances(uuid) == before and ref.charges() == charges and ref.action_plans(uuid) == []
    assert ref.sim.rpc("ApierV1.GetActionPlan", {"ID": f"ActionPlan_Monthly_{uuid}_{product_id}"})["error"]


def test_cpe_config_modem_addon_and_rollbacks(reference):
    """The CPE play, then (concurrently, through the engine's worker pool) a failing second CPE order and the modem
    add-on on the first service, then a failing modem add-on: each failure undoes only its own run."""
    ref = reference
    cpe, ip = ref.free_items("WiFi Router CPE")[0], ref.free_items("IPv4 Address")[0]
    job = ref.order("fixed-wireless-50", **{"WiFi Router CPE": cpe, "IPv4 Address": ip})
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    item = ref.item(cpe)
    assert item["service_id"] == service["service_id"] and item["item_state"] == "Assigned"
    assert item["itemtext3"] == f"Network_{cpe}" and item["management_url"] == f"CPE_{cpe}"
    assert f"/system identity set name=CPE_{cpe}" in item["config_content"]
    assert "max-limit=20M/50M" in item["config_content"] and "192.0.2." in item["config_content"]
    assert ref.charges() == [("Fixed Wireless 50/20 - Setup", Decimal("99.00"), service["service_id"])]

    cpe2, ip2 = ref.free_items("WiFi Router CPE")[0], ref.free_items("IPv4 Address")[0]
    modem = ref.free_items("Rental Modem")[0]
    bad = ref.order("fixed-wireless-50", wait=False, fail_at_task="Store the configuration on the CPE",
                    **{"WiFi Router CPE": cpe2, "IPv4 Address": ip2})
    rental = ref.order("wifi6-modem-rental", wait=False, service_id=service["service_id"], **{"Rental Modem": modem},
                       provisioning_play="play_addon_assign_modem")
    bad, rental = ref.job(bad["provision_id"]), ref.job(rental["provision_id"])
    assert bad["provisioning_status"] == 2 and "Store the configuration on the CPE" in failed_events(bad)
    assert rental["provisioning_status"] == 0, failure_details(rental)
    assert [s["service_id"] for s in ref.services()] == [service["service_id"]] and len(ref.accounts()) == 1
    for i in (cpe2, ip2):
        assert ref.item(i)["customer_id"] is None and ref.item(i)["config_content"] is None
    assert ref.item(modem)["service_id"] == service["service_id"]
    assert [c[:2] for c in ref.charges()] == [("Fixed Wireless 50/20 - Setup", Decimal("99.00")),
                                              ("WiFi 6 Modem Rental - first month", Decimal("10.00"))]

    modem2 = ref.free_items("Rental Modem")[0]
    bad = ref.order("wifi6-modem-rental", service_id=service["service_id"], **{"Rental Modem": modem2},
                    fail_at_task="Charge the customer")
    assert bad["provisioning_status"] == 2 and ref.item(modem2)["customer_id"] is None and len(ref.charges()) == 2


def test_bundle_chain_creates_three_services_with_one_parent(reference):
    ref = reference
    modem = ref.free_items("Modem Router")[0]
    root = ref.order("home-internet-tv-voice", **{"Modem Router": modem})
    assert root["provisioning_status"] == 0, failure_details(root)
    deadline_jobs = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        query = {"filters": json.dumps({"parent_provision_id": [root["provision_id"]]})}
        listed = ref.client.get("/crm/provision/", query_string=query, headers=ref.headers).get_json()["data"]
        if len(listed) == 2 and all(j["provisioning_status"] != 1 for j in listed):
            deadline_jobs = listed
            break
        time.sleep(0.5)
    assert deadline_jobs is not None, listed
    assert sorted(j["provisioning_play"] for j in deadline_jobs) == ["play_bundle_part_iptv", "play_bundle_part_voip"]
    assert all(j["provisioning_status"] == 0 for j in deadline_jobs)
    internet, iptv, voip = ref.services()
    assert ref.job(root["provision_id"])["service_id"] == internet["service_id"]
    assert [s["service_type"] for s in (internet, iptv, voip)] == ["internet", "iptv", "voip"]
    assert iptv["bundled_parent"] == voip["bundled_parent"] == internet["service_id"]
    assert ref.accounts() == [internet["service_uuid"]] and ref.item(modem)["service_id"] == internet["service_id"]


def test_two_orders_for_one_sim_one_wins(reference):
    ref = reference
    sim = ref.free_items("SIM Card")[0]
    numbers = ref.free_items("Mobile Number", 2)
    first = ref.order("prepaid-mobile-20gb", wait=False, **{"SIM Card": sim, "Mobile Number": numbers[0]})
    second = ref.order("prepaid-mobile-20gb", wait=False, **{"SIM Card": sim, "Mobile Number": numbers[1]})
    jobs = [ref.job(first["provision_id"]), ref.job(second["provision_id"])]
    assert sorted(j["provisioning_status"] for j in jobs) == [0, 2]
    loser = next(j for j in jobs if j["provisioning_status"] == 2)
    assert "Assign SIM Card to the service" in failed_events(loser)
    [service] = ref.services()
    assert ref.item(sim)["service_id"] == service["service_id"] and ref.accounts() == [service["service_uuid"]]
    assert ref.held_items() == 2 and len(ref.charges()) == 1


def test_customers_cannot_inject_failures(reference, app, make_user):
    from omnicrm import db
    from omnicrm.customers.models import Contact
    with app.app_context():
        contact_id = db.session.query(Contact.contact_id).filter_by(customer_id=reference.customer_id).scalar()
    customer = make_user(roles=["Customer"], contact_id=contact_id)
    staff = make_user(permissions=["create_provision"])
    body = {"product_id": reference.product("Mobile-SIM"), "customer_id": reference.customer_id,
            "fail_at_task": "Add setup cost transaction", **sim_order(reference)}
    for headers in (customer, staff):
        refused = reference.client.put("/crm/provision/", json=body, headers=headers)
        assert refused.status_code == 400 and "fail_at_task" in refused.get_json()["errors"]
