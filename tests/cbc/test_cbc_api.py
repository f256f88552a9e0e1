"""Cell Broadcast over HTTP (spec 05 §8, issue 19): the status lifecycle, the two-person approval with TOTP, text
limits, targeting, and the CBC double receiving (or not) what was approved."""
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import User
from omnicrm.auth.twofa import encrypt_secret
from omnicrm.cbc.models import CbcHistory, CbcMessage
from omnicrm.cbc.service import retry_due
from omnicrm.db import utcnow

TWO_AREAS = [{"tracking_area": "12345", "operator": "310-410", "rat_type": "LTE"},
             {"tracking_area": "12346", "operator": "310-410", "rat_type": "5G"}]


def earthquake(**over):
    body = {"messageIdentifier": "4352", "category": "extreme", "repetitionPeriod": 10, "numberOfBroadcasts": 999,
            "warningPeriodSec": 3600, "channelIndicator": "basic", "template": "earthquake",
            "localized_messages": [{"language": "en", "messageBody": "EARTHQUAKE WARNING: Drop, cover, hold on."},
                                   {"language": "es", "messageBody": "ALERTA DE TERREMOTO: Agáchese y cúbrase."}],
            "tracking_areas": TWO_AREAS}
    body.update(over)
    return body


def monthly_test(**over):
    return earthquake(messageIdentifier="4380", category="normal", template="monthly_test",
                      localized_messages=[{"language": "en", "messageBody": "Monthly test. No action required."}],
                      **over)


def enrol(app, user_id):
    """2FA enrolled for the user (as /crm/2fa/enable + verify-setup leave it); returns its TOTP generator."""
    secret = pyotp.random_base32()
    with app.app_context():
        user = db.session.get(User, user_id)
        user.totp_secret = encrypt_secret(secret)
        user.is_2fa_enabled = True
        db.session.commit()
    return pyotp.TOTP(secret)


@pytest.fixture
def team(app, make_user):
    creator = make_user(roles=["CBC Message Creator"])
    approver = make_user(roles=["CBC Message Approver"])
    approver.totp = enrol(app, approver.user_id)
    return creator, approver


@pytest.fixture
def no_total_limit(app, cbc, monkeypatch):
    """`cbc.max_total_characters: 0` switches the guide's 500-character total off (the page limits remain)."""
    monkeypatch.setitem(app.config["CRM"]["cbc"], "max_total_characters", 0)


def create(client, headers, body, status=201):
    response = client.put("/crm/cbc/", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def approve(client, headers, message_id, code):
    return client.post(f"/crm/cbc/{message_id}/approve", json={"totp_code": code}, headers=headers)


def history_actions(app, message_id):
    with app.app_context():
        return [h.action for h in db.session.scalars(select(CbcHistory).where(
            CbcHistory.cbc_message_id == message_id).order_by(CbcHistory.id))]


def test_an_extreme_alert_waits_for_approval_and_nothing_reaches_the_cbc(client, cbc, team):
    creator, _ = team
    alert = create(client, creator, earthquake())
    assert alert["status"] == "pending_approval" and alert["approving_user"] is None
    assert alert["initiating_user"] == creator.user_id and len(alert["cbc_unique_id"]) == 36
    assert [h["action"] for h in alert["history"]] == ["created", "submitted"]
    assert cbc.received() == []


def test_a_second_user_approves_with_totp_and_the_cbc_receives_the_alert(app, client, cbc, team):
    creator, approver = team
    alert = create(client, creator, earthquake())
    response = approve(client, approver, alert["cbc_message_id"], approver.totp.now())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "active" and body["approving_user"] == approver.user_id
    assert body["cbc_ack"]["accepted"] is True and body["sent_at"] and body["expires_at"]
    sent = cbc.received("/alerts/send")
    assert len(sent) == 1
    payload = sent[0]["body"]
    assert payload["messageIdentifier"] == "4352" and payload["cbc_unique_id"] == alert["cbc_unique_id"]
    assert [a["tracking_area"] for a in payload["tracking_areas"]] == ["12345", "12346"]
    assert [m["language"] for m in payload["localized_messages"]] == ["en", "es"]
    assert payload["localized_messages"][1]["encoding"] == "UCS-2" and payload["all_cells"] is False
    assert history_actions(app, alert["cbc_message_id"]) == ["created", "submitted", "approved", "sent"]
    shown = client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()["cbc_payload"]
    assert {**shown, "update": False} == {**payload, "update": False}  # the console shows exactly what was sent


def test_the_creator_cannot_approve_their_own_alert(app, client, cbc, make_user):
    both = make_user(roles=["CBC Message Creator", "CBC Message Approver"])
    totp = enrol(app, both.user_id)
    alert = create(client, both, earthquake())
    response = approve(client, both, alert["cbc_message_id"], totp.now())
    assert response.status_code == 403 and "second person" in response.get_json()["message"]
    assert client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=both).get_json()["status"] == "pending_approval"
    assert cbc.received() == []


def test_a_wrong_totp_code_is_refused(client, cbc, team):
    creator, approver = team
    alert = create(client, creator, earthquake())
    good = approver.totp.now()
    wrong = next(c for c in ("000000", "111111", "222222") if c != good)
    response = approve(client, approver, alert["cbc_message_id"], wrong)
    assert response.status_code == 400 and "totp_code" in response.get_json()["errors"]
    current = client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()
    assert current["status"] == "pending_approval" and current["approving_user"] is None
    assert cbc.received() == []


def test_an_approver_without_2fa_is_told_to_enrol(client, cbc, team, make_user):
    creator, _ = team
    no_2fa = make_user(roles=["CBC Message Approver"])
    alert = create(client, creator, earthquake())
    response = approve(client, no_2fa, alert["cbc_message_id"], "123456")
    assert response.status_code == 403
    assert "two-factor authentication" in response.get_json()["message"]
    assert cbc.received() == []


def test_approval_needs_the_approve_permission(client, cbc, app, make_user, team):
    creator, _ = team
    other_creator = make_user(roles=["CBC Message Creator"])
    enrol(app, other_creator.user_id)
    alert = create(client, creator, earthquake())
    assert approve(client, other_creator, alert["cbc_message_id"], "123456").status_code == 403
    assert cbc.received() == []


def test_an_alert_the_policy_does_not_guard_is_sent_at_once(client, cbc, team):
    creator, _ = team
    alert = create(client, creator, monthly_test())
    assert alert["status"] == "active" and alert["approval_required"] is False
    assert len(cbc.received("/alerts/send")) == 1


def test_the_policy_can_guard_every_alert(app, client, cbc, team, monkeypatch):
    creator, _ = team
    monkeypatch.setitem(app.config["CRM"]["cbc"], "approval", {"always": True})
    alert = create(client, creator, monthly_test())
    assert alert["status"] == "pending_approval" and cbc.received() == []


def test_presidential_identifier_needs_approval_whatever_its_category(client, cbc, team):
    creator, _ = team
    alert = create(client, creator, earthquake(messageIdentifier="4370", category="normal"))
    assert alert["status"] == "pending_approval"


def test_draft_submit_and_reject_back_to_draft(app, client, cbc, team):
    creator, approver = team
    draft = create(client, creator, earthquake(draft=True))
    assert draft["status"] == "draft"
    submitted = client.post(f"/crm/cbc/{draft['cbc_message_id']}/submit", headers=creator).get_json()
    assert submitted["status"] == "pending_approval"
    rejected = client.post(f"/crm/cbc/{draft['cbc_message_id']}/reject", json={"reason": "Wrong area"},
                           headers=approver)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "draft"
    assert rejected.get_json()["history"][-1]["details"] == {"reason": "Wrong area"}
    assert approve(client, approver, draft["cbc_message_id"], approver.totp.now()).status_code == 409
    assert cbc.received() == []


@pytest.mark.parametrize("language,body,encoding,limit", [
    ("en", "A" * 1396, "GSM-7", 1395), ("es", "ñ" * 1395 + "á", "UCS-2", 615), ("fr", "€" * 698, "GSM-7", 1395)])
def test_a_text_over_15_pages_is_refused_naming_its_language(client, cbc, team, language, body, encoding, limit,
                                                             no_total_limit):
    creator, _ = team
    response = client.put("/crm/cbc/", headers=creator, json=earthquake(localized_messages=[
        {"language": "de", "messageBody": "Erdbeben"}, {"language": language, "messageBody": body}]))
    assert response.status_code == 400
    data = response.get_json()
    assert data["message"] == f"Message text too long for language {language}"
    error = data["errors"]["localized_messages[1].messageBody"]
    assert language in error and encoding in error and str(limit) in error
    with client.application.app_context():
        assert db.session.scalar(select(CbcMessage.cbc_message_id)) is None


def test_texts_at_the_page_limits_are_accepted(client, cbc, team, no_total_limit):
    creator, _ = team
    alert = create(client, creator, earthquake(localized_messages=[
        {"language": "en", "messageBody": "A" * 1395}, {"language": "ru", "messageBody": "ж" * 615}]))
    assert [(m["encoding"], m["pages"]) for m in alert["localized_messages"]] == [("GSM-7", 15), ("UCS-2", 15)]


def test_no_targeting_must_be_confirmed_as_all_cells(client, cbc, team):
    creator, _ = team
    response = client.put("/crm/cbc/", json=monthly_test(tracking_areas=[]), headers=creator)
    assert response.status_code == 400 and "all_cells" in response.get_json()["errors"]["tracking_areas"]
    alert = create(client, creator, monthly_test(tracking_areas=[], all_cells=True))
    assert alert["all_cells"] is True
    assert cbc.received("/alerts/send")[0]["body"]["all_cells"] is True


def test_identifiers_follow_3gpp_not_the_guide(client, cbc, team):
    creator, _ = team
    response = client.put("/crm/cbc/", json=earthquake(messageIdentifier="4360"), headers=creator)
    assert response.status_code == 400 and "messageIdentifier" in response.get_json()["errors"]
    templates = {t["key"]: t for t in client.get("/crm/cbc/templates", headers=creator).get_json()["data"]}
    assert templates["earthquake"]["messageIdentifier"] == "4352"
    assert templates["tsunami"]["messageIdentifier"] == "4353"
    assert templates["presidential"]["messageIdentifier"] == "4370"
    assert templates["amber"]["messageIdentifier"] == "4379" and templates["amber"]["severity"] == "amber"
    assert templates["monthly_test"]["messageIdentifier"] == "4380"
    assert templates["monthly_test"]["identifier"]["is_test"] is True


def test_invalid_tracking_areas_are_refused(client, cbc, team):
    creator, _ = team
    response = client.put("/crm/cbc/", headers=creator, json=earthquake(tracking_areas=[
        {"tracking_area": "x!", "operator": "31041", "rat_type": "WIFI"}]))
    errors = response.get_json()["errors"]
    assert response.status_code == 400
    assert set(errors) == {"tracking_areas[0].tracking_area", "tracking_areas[0].operator",
                           "tracking_areas[0].rat_type"}


def test_cbc_down_marks_the_alert_failed_and_the_retry_sends_it(app, client, cbc, team):
    creator, approver = team
    alert = create(client, creator, earthquake())
    cbc.mode("error")
    body = approve(client, approver, alert["cbc_message_id"], approver.totp.now()).get_json()
    assert body["status"] == "failed" and body["pending_action"] == "send" and "503" in body["last_error"]
    assert body["approving_user"] == approver.user_id  # the approval is kept
    assert len(cbc.received("/alerts/send")) == 2  # two attempts with backoff
    with app.app_context():
        assert retry_due() == {"due": 0, "sent": 0}  # backoff not over yet
    cbc.mode("ok")
    with app.app_context():
        assert retry_due(now=utcnow() + timedelta(minutes=5)) == {"due": 1, "sent": 1}
    after = client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()
    assert after["status"] == "active" and after["last_error"] is None and after["cbc_ack"]["accepted"]
    assert [h["action"] for h in after["history"]][-2:] == ["send_failed", "sent"]
    assert cbc.received("/alerts/send")[-1]["body"]["localized_messages"][0]["messageBody"].startswith("EARTHQUAKE")


def test_an_unreachable_cbc_fails_and_retry_now_sends(app, client, cbc, team, monkeypatch):
    creator, _ = team
    monkeypatch.setitem(app.config["CRM"], "cbc_url", "http://127.0.0.1:9")
    alert = create(client, creator, monthly_test())
    assert alert["status"] == "failed" and "unreachable" in alert["last_error"]
    monkeypatch.setitem(app.config["CRM"], "cbc_url", cbc.url)
    retried = client.post(f"/crm/cbc/{alert['cbc_message_id']}/retry", headers=creator).get_json()
    assert retried["status"] == "active" and len(cbc.received("/alerts/send")) == 1


def test_a_cbc_refusal_is_failed_not_active_and_not_retried_blindly(client, cbc, team):
    creator, _ = team
    cbc.mode("refuse")
    alert = create(client, creator, monthly_test())
    assert alert["status"] == "failed" and "refused" in alert["last_error"]
    assert len(cbc.received()) == 1
    cbc.mode("no_ack")
    assert client.post(f"/crm/cbc/{alert['cbc_message_id']}/retry", headers=creator).get_json()["status"] == "failed"


UPDATE = {"numberOfBroadcasts": 500,
          "localized_messages": [{"language": "en", "messageBody": "UPDATED: Aftershocks possible."}]}


def active_guarded_alert(client, creator, approver):
    alert = create(client, creator, earthquake())
    assert approve(client, approver, alert["cbc_message_id"], approver.totp.now()).status_code == 200
    return alert


def propose(client, headers, alert, change=UPDATE):
    response = client.patch(f"/crm/cbc/{alert['cbc_message_id']}", json={"cbc_message_id": alert["cbc_message_id"],
                                                                          **change}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_update_of_a_guarded_active_alert_is_held_until_a_second_person_approves(client, cbc, team):
    creator, approver = team
    alert = active_guarded_alert(client, creator, approver)
    body = propose(client, creator, alert)
    # still broadcasting its current version; the proposal is stored with who made it; nothing new reached the CBC
    assert body["status"] == "active" and body["numberOfBroadcasts"] == 999
    assert body["localized_messages"][0]["messageBody"].startswith("EARTHQUAKE WARNING")
    pending = body["pending_update"]
    assert pending["proposed_by"] == creator.user_id and pending["proposed_by_email"] and pending["proposed_at"]
    assert pending["values"]["numberOfBroadcasts"] == 500
    assert pending["values"]["localized_messages"] == [{"language": "en",
                                                        "messageBody": "UPDATED: Aftershocks possible."}]
    assert body["history"][-1]["action"] == "update_proposed" and body["history"][-1]["user_id"] == creator.user_id
    assert len(cbc.received("/alerts/send")) == 1
    shown = client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=approver).get_json()
    assert shown["pending_update"]["values"]["numberOfBroadcasts"] == 500 and shown["numberOfBroadcasts"] == 999


def test_the_proposer_cannot_approve_their_own_update(app, client, cbc, make_user, team):
    creator, approver = team
    both = make_user(roles=["CBC Message Creator", "CBC Message Approver"])
    totp = enrol(app, both.user_id)
    alert = active_guarded_alert(client, creator, approver)
    propose(client, both, alert)
    response = approve(client, both, alert["cbc_message_id"], totp.now())
    assert response.status_code == 403 and "second person" in response.get_json()["message"]
    current = client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()
    assert current["pending_update"] is not None and current["numberOfBroadcasts"] == 999
    assert len(cbc.received("/alerts/send")) == 1


def test_a_wrong_totp_code_does_not_approve_an_update(client, cbc, team, make_user, app):
    creator, approver = team
    second = make_user(roles=["CBC Message Approver"])
    second.totp = enrol(app, second.user_id)
    alert = active_guarded_alert(client, creator, approver)
    propose(client, creator, alert)
    good = second.totp.now()
    wrong = next(c for c in ("000000", "111111", "222222") if c != good)
    response = approve(client, second, alert["cbc_message_id"], wrong)
    assert response.status_code == 400 and "totp_code" in response.get_json()["errors"]
    current = client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()
    assert current["pending_update"] is not None and current["numberOfBroadcasts"] == 999
    assert len(cbc.received("/alerts/send")) == 1


def test_an_approved_update_is_sent_and_becomes_current(client, cbc, team, make_user, app):
    creator, approver = team
    second = make_user(roles=["CBC Message Approver"])
    second.totp = enrol(app, second.user_id)
    alert = active_guarded_alert(client, creator, approver)
    propose(client, creator, alert)
    response = approve(client, second, alert["cbc_message_id"], second.totp.now())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "active" and body["pending_update"] is None and body["numberOfBroadcasts"] == 500
    sends = cbc.received("/alerts/send")
    assert len(sends) == 2 and sends[1]["body"]["update"] is True and sends[1]["body"]["numberOfBroadcasts"] == 500
    assert sends[1]["body"]["localized_messages"] == [{"language": "en", "messageBody": "UPDATED: Aftershocks "
                                                       "possible.", "encoding": "GSM-7"}]
    actions = [(h["action"], h["user_id"]) for h in body["history"]]
    assert actions[-3:] == [("update_proposed", creator.user_id), ("update_approved", second.user_id),
                            ("updated_sent", second.user_id)]
    assert body["history"][-2]["details"]["proposed_by"] == creator.user_id


def test_a_rejected_update_is_discarded(client, cbc, team):
    creator, approver = team
    alert = active_guarded_alert(client, creator, approver)
    propose(client, creator, alert)
    response = client.post(f"/crm/cbc/{alert['cbc_message_id']}/reject", json={"reason": "Wrong text"},
                            headers=approver)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "active" and body["pending_update"] is None and body["numberOfBroadcasts"] == 999
    assert body["history"][-1]["action"] == "update_rejected"
    assert body["history"][-1]["details"]["reason"] == "Wrong text"
    assert len(cbc.received("/alerts/send")) == 1
    assert approve(client, approver, alert["cbc_message_id"], approver.totp.now()).status_code == 409


def test_an_update_of_an_unguarded_active_alert_is_re_sent_at_once(client, cbc, team):
    creator, _ = team
    alert = create(client, creator, monthly_test())
    body = propose(client, creator, alert, {"numberOfBroadcasts": 500})
    assert body["status"] == "active" and body["numberOfBroadcasts"] == 500 and body["pending_update"] is None
    sends = cbc.received("/alerts/send")
    assert len(sends) == 2 and sends[1]["body"]["update"] is True
    assert [h["action"] for h in body["history"]][-2:] == ["updated", "updated_sent"]


def test_an_update_that_brings_a_live_alert_under_the_policy_is_held(client, cbc, team):
    creator, approver = team
    alert = create(client, creator, monthly_test())
    body = propose(client, creator, alert, {"category": "extreme"})
    assert body["status"] == "active" and body["category"] == "normal"
    assert body["pending_update"]["values"]["category"] == "extreme"
    assert len(cbc.received("/alerts/send")) == 1
    approved = approve(client, approver, alert["cbc_message_id"], approver.totp.now()).get_json()
    assert approved["category"] == "extreme" and approved["approving_user"] == approver.user_id
    assert len(cbc.received("/alerts/send")) == 2


def test_a_newer_proposal_replaces_the_pending_one_and_stop_discards_it(client, cbc, team):
    creator, approver = team
    alert = active_guarded_alert(client, creator, approver)
    propose(client, creator, alert)
    body = propose(client, creator, alert, {"repetitionPeriod": 60})
    assert body["pending_update"]["values"] == {"repetitionPeriod": 60}
    assert body["history"][-1]["details"]["replaces_proposal_of"] == creator.user_id
    stopped = client.delete(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()
    assert stopped["status"] == "cancelled" and stopped["pending_update"] is None
    assert len(cbc.received("/alerts/send")) == 1


def test_texts_over_500_characters_in_total_are_refused(client, cbc, team):
    creator, _ = team
    response = client.put("/crm/cbc/", headers=creator, json=earthquake(localized_messages=[
        {"language": "en", "messageBody": "A" * 300}, {"language": "es", "messageBody": "B" * 201}]))
    assert response.status_code == 400
    assert "500" in response.get_json()["message"] and "500" in response.get_json()["errors"]["localized_messages"]
    create(client, creator, earthquake(localized_messages=[
        {"language": "en", "messageBody": "A" * 300}, {"language": "es", "messageBody": "B" * 200}]))


def test_editing_a_pending_alert_sends_nothing(client, cbc, team):
    creator, _ = team
    alert = create(client, creator, earthquake())
    response = client.patch(f"/crm/cbc/{alert['cbc_message_id']}", json={"repetitionPeriod": 30}, headers=creator)
    assert response.get_json()["status"] == "pending_approval" and response.get_json()["repetitionPeriod"] == 30
    assert cbc.received() == []


def test_delete_cancels_at_the_cbc_and_keeps_the_record(app, client, cbc, team):
    creator, _ = team
    alert = create(client, creator, monthly_test())
    response = client.delete(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    cancels = cbc.received("/alerts/cancel")
    assert [c["body"]["cbc_unique_id"] for c in cancels] == [alert["cbc_unique_id"]]
    assert cbc.state()["alerts"][alert["cbc_unique_id"]]["state"] == "cancelled"
    assert history_actions(app, alert["cbc_message_id"])[-1] == "cancelled"
    assert client.delete(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).status_code == 409
    assert client.patch(f"/crm/cbc/{alert['cbc_message_id']}", json={"repetitionPeriod": 5},
                        headers=creator).status_code == 409


def test_delete_while_the_cbc_is_down_changes_nothing(client, cbc, team):
    creator, _ = team
    alert = create(client, creator, monthly_test())
    cbc.mode("error")
    response = client.delete(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator)
    assert response.status_code == 503 and "still broadcasting" in response.get_json()["message"]
    assert client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()["status"] == "active"


def test_deleting_a_draft_never_calls_the_cbc(client, cbc, team):
    creator, _ = team
    alert = create(client, creator, earthquake(draft=True))
    assert client.delete(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()["status"] == "cancelled"
    assert cbc.received() == []


def test_an_active_alert_expires_after_its_warning_period(app, client, cbc, team):
    creator, _ = team
    alert = create(client, creator, monthly_test())
    with app.app_context():
        msg = db.session.get(CbcMessage, alert["cbc_message_id"])
        msg.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    listed = client.get('/crm/cbc/?filters={"status": ["expired"]}', headers=creator).get_json()
    assert [m["cbc_message_id"] for m in listed["data"]] == [alert["cbc_message_id"]]
    last = client.get(f"/crm/cbc/{alert['cbc_message_id']}", headers=creator).get_json()["history"][-1]
    assert (last["action"], last["actor"], last["user_id"]) == ("expired", "system", None)


def test_list_filters_by_status(client, cbc, team):
    creator, _ = team
    create(client, creator, earthquake())
    create(client, creator, monthly_test())
    pending = client.get('/crm/cbc/?filters={"status": ["pending_approval"]}', headers=creator).get_json()
    assert [m["messageIdentifier"] for m in pending["data"]] == ["4352"]
    assert client.get('/crm/cbc/?filters={"nope": [1]}', headers=creator).status_code == 400


def test_zones_crud_and_targeting_by_zone(client, cbc, team):
    creator, _ = team
    zone = client.put("/crm/cbc/zones", headers=creator, json={
        "name": "Coastal Region", "shape": "polygon",
        "coordinates": [{"lat": -33.8688, "lng": 151.2093}, {"lat": -33.8650, "lng": 151.2070},
                        {"lat": -33.8600, "lng": 151.2150}],
        "tracking_areas": [{"tracking_area": "777", "operator": "505-01", "rat_type": "LTE"}]})
    assert zone.status_code == 201, zone.get_json()
    zone = zone.get_json()
    assert zone["coordinates"][0] == zone["coordinates"][-1]  # ring closed
    circle = client.put("/crm/cbc/zones", headers=creator, json={
        "name": "Stadium", "shape": "circle", "coordinates": {"center": {"lat": 1, "lng": 2}, "radius_m": 500},
        "tracking_areas": []})
    assert circle.status_code == 201
    bad = client.put("/crm/cbc/zones", headers=creator, json={"name": "Bad", "shape": "rectangle",
                                                              "coordinates": {"south_west": {"lat": 95, "lng": 0}}})
    assert bad.status_code == 400 and "coordinates" in bad.get_json()["errors"]
    renamed = client.patch(f"/crm/cbc/zones/{zone['zone_id']}", json={"name": "Coast"}, headers=creator)
    assert renamed.get_json()["name"] == "Coast"
    alert = create(client, creator, monthly_test(tracking_areas=[], zone_ids=[zone["zone_id"]]))
    assert [(a["tracking_area"], a["zone_id"]) for a in alert["tracking_areas"]] == [("777", zone["zone_id"])]
    assert client.delete(f"/crm/cbc/zones/{circle.get_json()['zone_id']}", headers=creator).status_code == 200
    assert [z["name"] for z in client.get("/crm/cbc/zones", headers=creator).get_json()["data"]] == ["Coast"]


def test_permission_refusals(client, cbc, make_user, team, admin_headers):
    creator, approver = team
    viewer = make_user(permissions=["view_cbc_message"])
    assert client.get("/crm/cbc/", headers=viewer).status_code == 200
    assert client.put("/crm/cbc/", json=earthquake(), headers=viewer).status_code == 403
    alert = create(client, creator, earthquake())
    assert client.patch(f"/crm/cbc/{alert['cbc_message_id']}", json={"repetitionPeriod": 5},
                        headers=viewer).status_code == 403
    assert client.delete(f"/crm/cbc/{alert['cbc_message_id']}", headers=approver).status_code == 403
    assert client.put("/crm/cbc/", json=earthquake(), headers=approver).status_code == 403
    nobody = make_user(permissions=["view_customer"])
    assert client.get("/crm/cbc/", headers=nobody).status_code == 403
    assert cbc.received() == []


def test_customer_users_are_refused_even_with_the_permission(app, client, cbc, make_user, admin_headers):
    customer = client.put("/crm/customer/", json={"customer_name": "Acme"}, headers=admin_headers).get_json()
    contact = client.put("/crm/contact/", headers=admin_headers, json={
        "customer_id": customer["customer_id"], "contact_firstname": "A", "contact_lastname": "B",
        "contact_email": "ab@example.com"})
    assert contact.status_code in (200, 201), contact.get_json()
    user = make_user(permissions=["view_own_customer"], contact_id=contact.get_json()["contact_id"])
    assert client.get("/crm/cbc/", headers=user).status_code == 403
    assert client.put("/crm/cbc/", json=earthquake(all_cells=True), headers=user).status_code == 403


def test_map_tile_server_is_configurable_and_allowed_by_the_csp(app, client, cbc, team, monkeypatch):
    creator, _ = team
    assert client.get("/crm/cbc/map_config", headers=creator).get_json()["tile_url"] == ""
    assert "tile" not in client.get("/login").headers["Content-Security-Policy"]
    monkeypatch.setitem(app.config["CRM"]["cbc"], "map_tile_url", "https://{s}.tile.example.org/{z}/{x}/{y}.png")
    assert client.get("/crm/cbc/map_config", headers=creator).get_json()["tile_url"].startswith("https://{s}.tile")
    assert "img-src 'self' https://*.tile.example.org data:" in client.get("/login").headers["Content-Security-Policy"]
    monkeypatch.setitem(app.config["CRM"]["cbc"], "map_tile_url", "https://evil.example/x.png'; script-src *")
    assert client.get("/crm/cbc/map_config", headers=creator).get_json()["tile_url"] == ""
    assert "evil" not in client.get("/login").headers["Content-Security-Policy"]
