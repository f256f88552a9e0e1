"""Issue #12 finding 4 through the reference plays: deprovisioning a mobile service removes its HSS subscriber (HSS
double), its OCS account, attribute profile and filter, reloads the scheduler, and releases every inventory item of
the service by kind (number quarantined, SIM back in stock), even when the customer holds more than 100 items."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.inventory.models import Inventory, InventoryTemplate
from tests.provisioning.reference_helpers import TENANT, failure_details, reference  # noqa: F401 - fixture

FILLERS = 120


def _template(name):
    return db.session.scalars(select(InventoryTemplate).where(InventoryTemplate.item == name)).first()


def _fresh_sim_and_number(ref):
    """A customer holding 120 other items first, then a SIM and a number created after them (so they are not among
    the customer's first 100 items by id)."""
    with ref.app.app_context():
        template = _template("IPv4 Address")
        db.session.add_all([Inventory(item="IPv4 Address", inventory_template_id=template.inventory_template_id,
                                      itemtext1=f"198.51.{n // 250}.{n % 250}", item_state="Assigned",
                                      customer_id=ref.customer_id) for n in range(FILLERS)])
        sim_t, num_t = _template("SIM Card"), _template("Mobile Number")
        sim = Inventory(item="SIM Card", inventory_template_id=sim_t.inventory_template_id,
                        itemtext1="8961999999999999", itemtext2="001019999999999", item_state="New")
        number = Inventory(item="Mobile Number", inventory_template_id=num_t.inventory_template_id,
                           itemtext1="+61491579999", item_state="New")
        db.session.add_all([sim, number])
        db.session.commit()
        return {"SIM Card": sim.inventory_id, "Mobile Number": number.inventory_id}


def test_deprovision_play_removes_hss_ocs_profiles_and_releases_everything(reference, hss):
    ref = reference
    items = _fresh_sim_and_number(ref)
    job = ref.order("Mobile-SIM", **items)
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    uuid, sid = service["service_uuid"], service["service_id"]
    assert "001019999999999" in hss.subscribers
    ref.sim.ok("APIerSv1.SetAttributeProfile", {"Tenant": TENANT, "ID": f"ATTR_ACCOUNT_{uuid}", "Contexts": ["*any"],
                                                "Attributes": [{"Path": "*req.PhoneNumber", "Type": "*constant",
                                                                "Value": [{"Rules": "61491579999"}]}]})

    gone = ref.order("Mobile-SIM", service_id=sid, action="deprovision")
    assert gone["provisioning_status"] == 0, failure_details(gone)
    assert ref.services()[0]["service_status"] == "Deactivated" and ref.accounts() == []
    assert hss.subscribers == {} and ("DELETE", "/subscriber/001019999999999") in hss.calls
    assert ref.sim.rpc("APIerSv1.GetAttributeProfile", {"Tenant": TENANT, "ID": f"ATTR_ACCOUNT_{uuid}"})[
        "error"] == "NOT_FOUND"
    assert ref.item(items["SIM Card"])["item_state"] == "In Stock"
    assert ref.item(items["Mobile Number"])["item_state"] == "Quarantined"
    assert ref.item(items["SIM Card"])["customer_id"] is None and ref.held_items() == FILLERS
