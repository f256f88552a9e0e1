"""Search counts that stop at a cap for very broad queries, and the `omnicrm rebuild-search-index` command."""
from sqlalchemy import delete, func, select

from omnicrm import db
from omnicrm.cli import main as omnicrm_cli
from omnicrm.utilities import search
from omnicrm.utilities.models import SearchIndex
from tests.customers.helpers import create_customer


def get(client, headers, url, **params):
    response = client.get(url, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_search_count_stops_at_the_cap_and_says_so(client, admin_headers, monkeypatch):
    ids = [create_customer(client, admin_headers, customer_name=f"Smith No{n}")["customer_id"] for n in range(5)]
    body = get(client, admin_headers, "/crm/utilities/search_everything", search="smith", per_page=2)
    assert body["pagination"] == {"current_page": 1, "per_page": 2, "total_pages": 3, "total_items": 5}

    monkeypatch.setattr(search, "COUNT_CAP", 3)
    body = get(client, admin_headers, "/crm/utilities/search_everything", search="smith", per_page=2)
    assert body["pagination"] == {"current_page": 1, "per_page": 2, "total_pages": 2, "total_items": 3,
                                  "total_is_estimate": True}
    assert [r["id"] for r in body["data"]] == ids[:2]
    # Pages past the cap are still served in order.
    body = get(client, admin_headers, "/crm/utilities/search_everything", search="smith", per_page=2, page=3)
    assert [r["id"] for r in body["data"]] == ids[4:]
    exact = get(client, admin_headers, "/crm/utilities/search_everything", search="smith no4")
    assert exact["pagination"]["total_items"] == 1 and "total_is_estimate" not in exact["pagination"]


def test_records_matching_through_two_words_count_once_past_the_cap(client, admin_headers, monkeypatch):
    both = create_customer(client, admin_headers, customer_name="David Davidson")["customer_id"]
    other = create_customer(client, admin_headers, customer_name="Davidson Jones")["customer_id"]
    body = get(client, admin_headers, "/crm/utilities/search_everything", search="david")
    assert [r["id"] for r in body["data"]] == [both, other] and body["pagination"]["total_items"] == 2

    monkeypatch.setattr(search, "COUNT_CAP", 1)  # the first rows read are "david" and "davidson" of one record
    body = get(client, admin_headers, "/crm/utilities/search_everything", search="david", per_page=1, page=2)
    assert [r["id"] for r in body["data"]] == [other]
    assert body["pagination"]["total_is_estimate"] is True


def test_rebuild_search_index_command_restores_lost_tokens(app, client, admin_headers):
    cid = create_customer(client, admin_headers, customer_name="Zebedee Quartermaine")["customer_id"]
    with app.app_context():
        db.session.execute(delete(SearchIndex))  # as if rows had been written behind the application's back
        db.session.commit()
    assert get(client, admin_headers, "/crm/utilities/search_everything", search="quarter")["data"] == []

    result = app.test_cli_runner().invoke(omnicrm_cli, ["rebuild-search-index"])
    assert result.exit_code == 0, result.output
    assert "customer: 2 tokens" in result.output and "Search index rebuilt" in result.output
    body = get(client, admin_headers, "/crm/utilities/search_everything", search="quarter")
    assert [(r["type"], r["id"]) for r in body["data"]] == [("customer", cid)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchIndex)) == 2
