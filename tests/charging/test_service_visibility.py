"""Issue #13 finding 5: customer users do not see ended services (spec 06 §11.2 step 5), the list sorts by status
(the console's status column asks for it) and the spec's page sizes work (spec 05 §1.8)."""
import pytest

from tests.services.helpers import create_service, make_customer


@pytest.fixture
def services(app, client, admin_headers):
    customer_id, contact_id = make_customer(app, "Jane Home", with_contact=True)
    made = {}
    for status in ("Active", "Suspended", "Deactivated", "Inactive", "Pending Cancellation"):
        made[status] = create_service(client, admin_headers, customer_id, service_name=f"Svc {status}",
                                      service_status=status)["service_id"]
    return customer_id, contact_id, made


def test_customer_users_do_not_see_ended_services(client, make_user, services):
    _customer_id, contact_id, made = services
    me = make_user(permissions=["view_own_customer_service"], contact_id=contact_id)
    listed = client.get("/crm/service/?per_page=100", headers=me).get_json()
    assert sorted(s["service_status"] for s in listed["data"]) == ["Active", "Pending Cancellation", "Suspended"]
    assert listed["pagination"]["total_items"] == 3
    for status in ("Deactivated", "Inactive"):
        assert client.get(f"/crm/service/{made[status]}", headers=me).status_code == 404
    assert client.get(f"/crm/service/{made['Suspended']}", headers=me).status_code == 200


def test_staff_still_see_every_service(client, admin_headers, services):
    assert client.get("/crm/service/", headers=admin_headers).get_json()["pagination"]["total_items"] == 5


def test_sort_by_status_and_the_spec_page_sizes(client, admin_headers, services):
    response = client.get("/crm/service/?sort=service_status&order=asc", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    statuses = [s["service_status"] for s in response.get_json()["data"]]
    assert statuses == sorted(statuses)
    for size in (10, 25, 50, 100):
        body = client.get(f"/crm/service/?per_page={size}", headers=admin_headers).get_json()
        assert body["pagination"]["per_page"] == size
