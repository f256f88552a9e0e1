"""The add-on play (play_topup_charge_then_action, also what an auto-renewal callback runs) charges the customer's
default card through GET /crm/stripe/customer_id and POST /crm/stripe/charge_card with the job's token, for real
through ansible-runner, the live API, localstripe and the CGRateS simulator: paid means provisioned, declined means
nothing provisioned and nothing recorded."""
from decimal import Decimal

from omnicrm import db
from omnicrm.payments.models import StripeCustomer
from tests.payments.helpers import DECLINED_AT_CHARGE, add_card, intents_of
from tests.fixtures.live_server import live_server  # noqa: F401 - fixture
from tests.provisioning.reference_helpers import failed_events, failure_details, reference  # noqa: F401 - fixture
from tests.provisioning.test_reference_plays import sim_order

GB = 1073741824


def test_add_on_charged_to_default_card_a_decline_provisions_nothing(reference, stripe_config):  # noqa: F811
    ref = reference
    job = ref.order("Mobile-SIM", **sim_order(ref))
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    uuid, sid = service["service_uuid"], service["service_id"]
    card = add_card(ref.client, ref.headers, stripe_config, ref.customer_id)
    assert card.status_code == 200, card.get_json()
    before = ref.charges()

    boost = ref.order("5gb-data-boost", service_id=sid)
    assert boost["provisioning_status"] == 0, failure_details(boost)
    assert sorted(ref.balances(uuid)["*data"].values()) == [5 * GB]
    assert [c[:2] for c in ref.charges()[len(before):]] == [("5GB Data Boost", Decimal("5.00")),
                                                          ("Card payment: 5GB Data Boost", Decimal("-5.00"))]
    with ref.app.app_context():
        stripe_customer = db.session.get(StripeCustomer, ref.customer_id).stripe_customer_id
    [intent] = intents_of(stripe_config, stripe_customer)
    assert (intent.amount, intent.status) == (500, "succeeded")

    declined = add_card(ref.client, ref.headers, stripe_config, ref.customer_id, DECLINED_AT_CHARGE)
    card_id = declined.get_json()["card"]["card_id"]
    assert ref.client.post(f"/crm/stripe/card_id/{card_id}/default", json={},
                           headers=ref.headers).status_code == 200
    balances, charges = ref.balances(uuid), ref.charges()
    refused = ref.order("5gb-data-boost", service_id=sid)
    assert refused["provisioning_status"] == 2 and "Charge card" in failed_events(refused)
    assert ref.balances(uuid) == balances and ref.charges() == charges
