"""Cell Broadcast alerts: validation, the status lifecycle, the two-person approval and the transmission to the
CBC. Handlers in api.py and the `omnicrm cbc-retry` command call these plain functions.

Lifecycle: draft -> pending_approval (when the policy requires a second person) -> active (the CBC acknowledged)
-> expired (warningPeriodSec after the last accepted send) or cancelled (DELETE). A send the CBC did not accept
leaves the alert `failed` with `pending_action = "send"`; the retry job (or POST .../retry) sends it again."""
import json
import logging
import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import twofa
from omnicrm.auth.identity import current_identity
from omnicrm.auth.models import User
from omnicrm.cbc.identifiers import CATEGORIES, IDENTIFIERS, describe, severity_of
from omnicrm.cbc.models import CbcHistory, CbcLocalizedMessage, CbcMessage, CbcTrackingArea, CbcZone
from omnicrm.cbc.text import text_info
from omnicrm.common.serialize import iso
from omnicrm.common.validation import FORBIDDEN_TEXT, Checker
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict, DependencyUnavailable, Forbidden, NotFound, ValidationError
from omnicrm.integrations.cbc import CbcClient, CbcError, CbcRefused

log = logging.getLogger(__name__)

RAT_TYPES = ("GSM", "UMTS", "LTE", "5G")
CHANNELS = ("basic", "extended")
LANGUAGE = r"[a-z]{2,3}(-[A-Za-z]{2,4})?"
OPERATOR = r"\d{3}-\d{2,3}"
FIELDS = ("messageIdentifier", "category", "repetitionPeriod", "numberOfBroadcasts", "warningPeriodSec",
          "channelIndicator", "localized_messages", "tracking_areas", "zone_ids", "all_cells", "template")
COLUMNS = {"messageIdentifier": "message_identifier", "category": "category",
           "repetitionPeriod": "repetition_period", "numberOfBroadcasts": "number_of_broadcasts",
           "warningPeriodSec": "warning_period_sec", "channelIndicator": "channel_indicator", "template": "template"}
DEFAULT_POLICY = {"required_categories": ["extreme", "emergency", "high"], "required_identifiers": ["4370"],
                  "always": False}
DEFAULT_MAX_TOTAL = 500  # spec 05 §8.4/§8.14: 500 characters in total, all languages together (0 = no total limit)


# --- configuration ---------------------------------------------------------------------------------------------

def settings():
    crm = current_app.config["CRM"]
    section = crm.get("cbc") or {}
    approval = {**DEFAULT_POLICY, **(section.get("approval") or {})}
    return {"url": crm.get("cbc_url") or "", "timeout": float(section.get("timeout_seconds", 5)),
            "retries": int(section.get("retries", 3)), "backoff": float(section.get("backoff_seconds", 0.5)),
            "retry_backoff": float(section.get("retry_backoff_seconds", 60)), "approval": approval,
            "max_total": int(section.get("max_total_characters", DEFAULT_MAX_TOTAL) or 0)}


def map_settings():
    """The optional map's raster tile server: `cbc.map_tile_url` like https://tile.openstreetmap.org/{z}/{x}/{y}.png
    ('' = no tiles: zones are entered as coordinates, which works offline)."""
    section = current_app.config["CRM"].get("cbc") or {}
    url = str(section.get("map_tile_url") or "")
    ok = re.fullmatch(r"https?://[^\s'\";]+", url) and all(p in url for p in ("{z}", "{x}", "{y}"))
    return {"tile_url": url if ok else "", "attribution": str(section.get("map_attribution") or "")[:200]}


def map_tile_origin():
    url = map_settings()["tile_url"]
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "tilesub"))
    return f"{parts.scheme}://{parts.netloc.replace('tilesub', '*')}"


def approval_required(category, identifier):
    policy = settings()["approval"]
    return bool(policy["always"] or category in policy["required_categories"]
                or str(identifier) in {str(i) for i in policy["required_identifiers"]})


def client():
    conf = settings()
    return CbcClient(conf["url"], timeout=conf["timeout"], retries=conf["retries"], backoff=conf["backoff"])


# --- validation ------------------------------------------------------------------------------------------------

def _identifier(check, data):
    raw = data.get("messageIdentifier")
    if raw in (None, ""):
        check.error("messageIdentifier", "is required")
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or int(text) not in IDENTIFIERS:
        check.error("messageIdentifier", "must be a public warning identifier of 3GPP TS 23.041: ETWS 4352-4359 or "
                                         "CMAS 4370-4399")
        return None
    return check._accept("messageIdentifier", str(int(text)))


def _languages(check, raw):
    if not isinstance(raw, list) or not raw:
        check.error("localized_messages", "needs at least one {language, messageBody}")
        return None
    rows, seen = [], set()
    for index, item in enumerate(raw):
        where = f"localized_messages[{index}]"
        if not isinstance(item, dict):
            check.error(where, "must be an object {language, messageBody}")
            continue
        language = str(item.get("language") or "").strip()
        body = item.get("messageBody")
        if not re.fullmatch(LANGUAGE, language):
            check.error(f"{where}.language", "must be an ISO 639 code such as en, es or pt-BR")
            continue
        if language in seen:
            check.error(f"{where}.language", f"{language} is given twice")
        seen.add(language)
        if not isinstance(body, str) or not body.strip():
            check.error(f"{where}.messageBody", f"the {language} text is empty")
            continue
        body = body.strip()
        if FORBIDDEN_TEXT.search(body):
            check.error(f"{where}.messageBody", "contains control or bidirectional-override characters")
        info = text_info(body)
        if info["too_long"]:
            check.too_long = [*getattr(check, "too_long", []), language]
            check.error(f"{where}.messageBody",
                        f"the {language} text is too long: {info['characters']} {info['encoding']} characters, at "
                        f"most {info['max_characters']} ({info['max_pages']} pages of {info['per_page']})")
        rows.append({"language": language, "messageBody": body})
    limit = settings()["max_total"]
    total = sum(len(row["messageBody"]) for row in rows)
    if limit and total > limit:
        check.total_too_long = (total, limit)
        check.error("localized_messages", f"the texts of all languages together have {total} characters, at most "
                                          f"{limit} in total")
    return rows


def _areas(check, raw, field="tracking_areas"):
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        check.error(field, "must be a list of {tracking_area, operator, rat_type}")
        return []
    rows = []
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            check.error(where, "must be an object {tracking_area, operator, rat_type}")
            continue
        tac = str(item.get("tracking_area") or "").strip()
        cell = str(item.get("cell_id") or "").strip() or None
        operator = str(item.get("operator") or "").strip()
        rat = str(item.get("rat_type") or "").strip().upper()
        if not re.fullmatch(r"[0-9A-Fa-f]{1,8}", tac):
            check.error(f"{where}.tracking_area", "must be a tracking/location area code (1-8 digits or hex)")
        if cell is not None and not re.fullmatch(r"[0-9A-Fa-f]{1,16}", cell):
            check.error(f"{where}.cell_id", "must be a cell id (digits or hex)")
        if not re.fullmatch(OPERATOR, operator):
            check.error(f"{where}.operator", "must be MCC-MNC such as 310-410")
        if rat not in RAT_TYPES:
            check.error(f"{where}.rat_type", f"must be one of: {', '.join(RAT_TYPES)}")
        rows.append({"tracking_area": tac, "cell_id": cell, "operator": operator, "rat_type": rat,
                     "zone_id": item.get("zone_id") if isinstance(item.get("zone_id"), int) else None})
    return rows


def _zone_areas(check, raw):
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or not all(isinstance(z, int) and not isinstance(z, bool) for z in raw):
        check.error("zone_ids", "must be a list of saved zone ids")
        return []
    rows = []
    for zone_id in raw:
        zone = db.session.get(CbcZone, zone_id)
        if zone is None:
            check.error("zone_ids", f"zone {zone_id} does not exist")
            continue
        rows.extend({**area, "zone_id": zone_id} for area in json.loads(zone.tracking_areas or "[]"))
    return rows


def check_message(data, existing=None):
    """The validated fields of a create (existing None) or a PATCH (only the given fields, merged)."""
    check = Checker(data)
    check.reject_unknown((*FIELDS, "draft", "totp_code", "cbc_message_id"),
                         read_only=("cbc_unique_id", "initiating_user", "approving_user", "created", "status"))
    if existing is not None and "cbc_message_id" in data and data["cbc_message_id"] != existing.cbc_message_id:
        check.error("cbc_message_id", "does not match the alert in the path")
    creating = existing is None
    if creating or "messageIdentifier" in data:
        _identifier(check, data)
    if creating or "category" in data:
        check.string("category", required=True, choices=CATEGORIES)
    if creating or "repetitionPeriod" in data:
        check.integer("repetitionPeriod", required=True, minimum=1, maximum=4095)
    if creating or "numberOfBroadcasts" in data:
        check.integer("numberOfBroadcasts", required=True, minimum=1, maximum=65535)
    if creating or "warningPeriodSec" in data:
        check.integer("warningPeriodSec", required=True, minimum=1, maximum=7 * 24 * 3600)
    if creating or "channelIndicator" in data:
        check.values["channelIndicator"] = "basic"
        check.string("channelIndicator", choices=CHANNELS)
        check.values["channelIndicator"] = check.values.get("channelIndicator") or "basic"
    if "template" in data:
        check.string("template", max_length=50)
    if creating or "localized_messages" in data:
        check.values["localized_messages"] = _languages(check, data.get("localized_messages"))
    if creating or "tracking_areas" in data or "zone_ids" in data or "all_cells" in data:
        typed = _areas(check, data.get("tracking_areas") if "tracking_areas" in data or existing is None
                       else [_area_dict(a) for a in existing.tracking_areas if a.zone_id is None])
        zoned = _zone_areas(check, data.get("zone_ids"))
        areas = typed + zoned
        all_cells = check.boolean("all_cells") if "all_cells" in data else False
        if areas and all_cells:
            check.error("all_cells", "cannot be true when tracking areas are given")
        if not areas and not all_cells:
            check.error("tracking_areas", "no tracking area means every cell of the network broadcasts the alert: "
                                          "give tracking areas or confirm with all_cells: true")
        check.values["tracking_areas"] = areas
        check.values["all_cells"] = bool(all_cells)
    too_long = getattr(check, "too_long", [])
    if too_long:
        check.done(f"Message text too long for language {', '.join(too_long)}")
    if getattr(check, "total_too_long", None):
        check.done("Message text too long: {} characters in all languages together, at most {}"
                   .format(*check.total_too_long))
    check.done()
    return check.values


# --- history and serialisation ---------------------------------------------------------------------------------

def _actor():
    identity = current_identity()
    if identity is None:
        return None, "system"
    return identity.user_id if identity.kind == "user" else None, identity.label


def _history(msg, action, before, details=None, system=False):
    user_id, actor = (None, "system") if system else _actor()
    db.session.add(CbcHistory(cbc_message_id=msg.cbc_message_id, action=action, user_id=user_id, actor=actor,
                              status_from=before, status_to=msg.status,
                              details=json.dumps(details) if details else None))
    activity.record("cbc", msg.cbc_message_id, action,
                    f"Cell broadcast {msg.cbc_message_id} (MI {msg.message_identifier}) {action}: "
                    f"{before or '-'} -> {msg.status}", changes=details)


def _area_dict(area):
    return {"tracking_area": area.tracking_area, "cell_id": area.cell_id, "operator": area.operator,
            "rat_type": area.rat_type, "zone_id": area.zone_id}


def _user_label(user_id):
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user.email if user else None


def message_to_dict(msg, with_history=False):
    body = {"cbc_message_id": msg.cbc_message_id, "cbc_unique_id": msg.cbc_unique_id,
            "messageIdentifier": msg.message_identifier, "identifier": describe(msg.message_identifier),
            "category": msg.category, "severity": severity_of(msg.message_identifier),
            "repetitionPeriod": msg.repetition_period, "numberOfBroadcasts": msg.number_of_broadcasts,
            "warningPeriodSec": msg.warning_period_sec, "channelIndicator": msg.channel_indicator,
            "template": msg.template, "status": msg.status, "approval_required": msg.approval_required,
            "initiating_user": msg.initiating_user, "initiating_user_email": _user_label(msg.initiating_user),
            "approving_user": msg.approving_user, "approving_user_email": _user_label(msg.approving_user),
            "created": iso(msg.created), "updated": iso(msg.updated), "approved_at": iso(msg.approved_at),
            "sent_at": iso(msg.sent_at), "expires_at": iso(msg.expires_at), "all_cells": msg.all_cells,
            "pending_action": msg.pending_action, "send_attempts": msg.send_attempts,
            "next_retry_at": iso(msg.next_retry_at), "last_error": msg.last_error,
            "cbc_ack": json.loads(msg.cbc_ack) if msg.cbc_ack else None,
            "localized_messages": [{"language": m.language, "messageBody": m.message_body,
                                    **{k: v for k, v in text_info(m.message_body).items()
                                       if k in ("encoding", "characters", "pages")}}
                                   for m in msg.localized_messages],
            "tracking_areas": [_area_dict(a) for a in msg.tracking_areas],
            "pending_update": _pending_to_dict(msg)}
    if with_history:
        body["history"] = history(msg.cbc_message_id)
        body["cbc_payload"] = cbc_payload(msg)
    return body


def _pending_to_dict(msg):
    if not msg.pending_update:
        return None
    stored = json.loads(msg.pending_update)
    return {"values": stored["values"], "changes": stored.get("changes"), "proposed_by": msg.pending_update_by,
            "proposed_by_email": _user_label(msg.pending_update_by), "proposed_at": iso(msg.pending_update_at)}


def history(cbc_message_id):
    rows = db.session.scalars(select(CbcHistory).where(CbcHistory.cbc_message_id == cbc_message_id)
                              .order_by(CbcHistory.id)).all()
    return [{"action": h.action, "user_id": h.user_id, "actor": h.actor, "status_from": h.status_from,
             "status_to": h.status_to, "details": json.loads(h.details) if h.details else None,
             "created": iso(h.created)} for h in rows]


def cbc_payload(msg, update=False):
    """Exactly what POST {cbc_url}/alerts/send carries (the console's review screen shows the same)."""
    return {"cbc_unique_id": msg.cbc_unique_id, "cbc_message_id": msg.cbc_message_id,
            "messageIdentifier": msg.message_identifier, "category": msg.category,
            "repetitionPeriod": msg.repetition_period, "numberOfBroadcasts": msg.number_of_broadcasts,
            "warningPeriodSec": msg.warning_period_sec, "channelIndicator": msg.channel_indicator,
            "update": update, "all_cells": msg.all_cells,
            "localized_messages": [{"language": m.language, "messageBody": m.message_body,
                                    "encoding": text_info(m.message_body)["encoding"]}
                                   for m in msg.localized_messages],
            "tracking_areas": [{k: v for k, v in _area_dict(a).items() if k != "zone_id"}
                               for a in msg.tracking_areas]}


# --- lifecycle -------------------------------------------------------------------------------------------------

def get_message(cbc_message_id, lock=False):
    """The alert, or 404; `lock` holds its row until the commit (MariaDB), so two approvers or an approval and a
    cancel racing on one alert act one after the other and the second sees the first's status."""
    msg = db.session.get(CbcMessage, cbc_message_id, with_for_update=lock or None, populate_existing=lock)
    if msg is None:
        raise NotFound(f"Cell broadcast message {cbc_message_id} not found")
    return msg


def _apply(msg, values):
    for name, column in COLUMNS.items():
        if name in values:
            setattr(msg, column, values[name])
    if "localized_messages" in values:
        msg.localized_messages = [CbcLocalizedMessage(position=i, language=m["language"],
                                                      message_body=m["messageBody"])
                                  for i, m in enumerate(values["localized_messages"])]
    if "tracking_areas" in values:
        msg.tracking_areas = [CbcTrackingArea(position=i, **a) for i, a in enumerate(values["tracking_areas"])]
        msg.all_cells = values["all_cells"]
    msg.approval_required = approval_required(msg.category, msg.message_identifier)


def create_message(data):
    values = check_message(data)
    draft = data.get("draft") is True
    msg = CbcMessage(cbc_unique_id=str(uuid.uuid4()), status="draft", initiating_user=_actor()[0],
                     send_attempts=0)
    _apply(msg, values)
    db.session.add(msg)
    db.session.flush()
    _history(msg, "created", None, {"template": msg.template})
    if not draft:
        _submit(msg)
    return msg


def submit(msg):
    if msg.status != "draft":
        raise Conflict(f"Only a draft can be submitted; this alert is {msg.status}")
    _submit(msg)


def _submit(msg):
    if msg.approval_required:
        before, msg.status = msg.status, "pending_approval"
        _history(msg, "submitted", before)
    else:
        transmit(msg)


def _confirm_totp(user, code, who):
    if user is None:
        raise Forbidden(f"The {who} must be a logged-in user confirming with their own 2FA code")
    if not twofa.is_active(user):
        raise Forbidden(f"The {who} ({user.email}) has no two-factor authentication enrolled: set up 2FA "
                        f"(Profile -> Two-factor authentication) before confirming cell broadcasts",
                        two_factor_required=True)
    twofa.limit_attempts(user)
    if not twofa.check_totp(user, code):
        raise ValidationError("Validation failed",
                              errors={"totp_code": "is not a valid code from your authenticator app"})


def _caller_user():
    identity = current_identity()
    return identity.user if identity is not None and identity.kind == "user" else None


def approve(msg, totp_code):
    if msg.pending_update and msg.status in ("active", "failed"):
        return approve_update(msg, totp_code)
    if msg.status != "pending_approval":
        raise Conflict(f"Only an alert pending approval can be approved; this alert is {msg.status}")
    user = _caller_user()
    if user is not None and user.id == msg.initiating_user:
        raise Forbidden("The creator of an alert cannot approve it: a second person must approve")
    _confirm_totp(user, totp_code, "approver")
    msg.approving_user = user.id
    msg.approved_at = utcnow()
    _history(msg, "approved", msg.status, {"approving_user": user.id})
    transmit(msg)


def reject(msg, reason):
    if msg.pending_update and msg.status in ("active", "failed"):
        return reject_update(msg, reason)
    if msg.status != "pending_approval":
        raise Conflict(f"Only an alert pending approval can be rejected; this alert is {msg.status}")
    user = _caller_user()
    if user is not None and user.id == msg.initiating_user:
        raise Forbidden("The creator cannot reject their own alert: edit it or cancel it instead")
    before, msg.status = msg.status, "draft"
    _history(msg, "rejected", before, {"reason": reason})


def update_message(msg, data):
    if msg.status in ("expired", "cancelled"):
        raise Conflict(f"This alert is {msg.status}: create a new alert instead")
    values = check_message(data, existing=msg)
    broadcasting = msg.status == "active" or (msg.status == "failed" and msg.sent_at is not None)
    if msg.status in ("active", "failed") and _guarded(msg, values):
        # Two-person rule for in-flight updates: held until another approver confirms with their own TOTP code.
        return _propose_update(msg, values)
    before_state = _state(msg)
    _apply(msg, values)
    changes = activity.diff(before_state, _state(msg))
    if not changes:
        return
    _history(msg, "updated", msg.status, {"changes": changes})
    if msg.status in ("active", "failed"):  # unguarded (before and after the update): re-sent at once
        transmit(msg, update=broadcasting)


def _guarded(msg, values):
    """The policy guards the alert as it is now or as the update would make it."""
    return msg.approval_required or approval_required(values.get("category", msg.category),
                                                      values.get("messageIdentifier", msg.message_identifier))


def _proposed_state(msg, values):
    state = _state(msg)
    state.update({name: values[name] for name in COLUMNS if name in values})
    if "localized_messages" in values:
        state["localized_messages"] = [[m["language"], m["messageBody"]] for m in values["localized_messages"]]
    if "tracking_areas" in values:
        state["tracking_areas"] = [dict(a) for a in values["tracking_areas"]]
        state["all_cells"] = values["all_cells"]
    return state


def _propose_update(msg, values):
    """Store the update as pending (a newer proposal replaces an older one); the CBC is not called."""
    changes = activity.diff(_state(msg), _proposed_state(msg, values))
    if not changes:
        return
    user_id = _actor()[0]
    replaced = msg.pending_update_by if msg.pending_update else None
    msg.pending_update = json.dumps({"values": values, "changes": changes})
    msg.pending_update_by, msg.pending_update_at = user_id, utcnow()
    details = {"changes": changes, **({"replaces_proposal_of": replaced} if replaced is not None else {})}
    _history(msg, "update_proposed", msg.status, details)


def _clear_pending_update(msg):
    msg.pending_update, msg.pending_update_by, msg.pending_update_at = None, None, None


def approve_update(msg, totp_code):
    """A second person approves the pending update with their own TOTP code: it becomes current and is sent to the
    CBC as an update (failed + retried like any send when the CBC does not accept it)."""
    user = _caller_user()
    if user is not None and user.id == msg.pending_update_by:
        raise Forbidden("The proposer of an update cannot approve it: a second person must approve")
    _confirm_totp(user, totp_code, "approver")
    stored = json.loads(msg.pending_update)
    proposed_by = msg.pending_update_by
    broadcasting = msg.status == "active" or (msg.status == "failed" and msg.sent_at is not None)
    before_state = _state(msg)
    _apply(msg, stored["values"])
    changes = activity.diff(before_state, _state(msg))
    _clear_pending_update(msg)
    msg.approving_user, msg.approved_at = user.id, utcnow()
    _history(msg, "update_approved", msg.status, {"approving_user": user.id, "proposed_by": proposed_by,
                                                  "changes": changes})
    transmit(msg, update=broadcasting)


def reject_update(msg, reason):
    """The pending update is discarded; the alert keeps broadcasting its current version."""
    stored = json.loads(msg.pending_update)
    proposed_by = msg.pending_update_by
    _clear_pending_update(msg)
    _history(msg, "update_rejected", msg.status, {"reason": reason, "proposed_by": proposed_by,
                                                  "changes": stored.get("changes")})


def _state(msg):
    state = {name: getattr(msg, column) for name, column in COLUMNS.items()}
    state["localized_messages"] = [[m.language, m.message_body] for m in msg.localized_messages]
    state["tracking_areas"] = [_area_dict(a) for a in msg.tracking_areas]
    state["all_cells"] = msg.all_cells
    return state


def transmit(msg, update=False):
    """Send the alert to the CBC now: active with its acknowledgement, or failed with the error and a retry
    scheduled. The alert and its history are kept either way (nothing is lost)."""
    db.session.flush()
    before = msg.status
    msg.send_attempts = (msg.send_attempts or 0) + 1
    try:
        ack = client().send(cbc_payload(msg, update=update))
    except CbcError as exc:
        msg.status, msg.pending_action = "failed", "send"
        msg.last_error = str(exc)[:1000]
        delay = settings()["retry_backoff"] * 2 ** min(msg.send_attempts - 1, 6)
        msg.next_retry_at = utcnow() + timedelta(seconds=delay)
        log.warning("CBC send of alert %s failed: %s", msg.cbc_message_id, exc)
        _history(msg, "send_failed", before, {"error": msg.last_error, "cbc_status": exc.status_code,
                                             "cbc_response": exc.body, "update": update})
        return False
    now = utcnow()
    msg.status, msg.pending_action, msg.last_error, msg.next_retry_at = "active", None, None, None
    msg.sent_at, msg.expires_at = now, now + timedelta(seconds=msg.warning_period_sec)
    msg.cbc_ack = json.dumps(ack)[:10000]
    _history(msg, "updated_sent" if update else "sent", before, {"cbc_ack": ack})
    return True


def retry(msg):
    if msg.status != "failed" or msg.pending_action != "send":
        raise Conflict(f"Only a failed send can be retried; this alert is {msg.status}")
    return transmit(msg, update=msg.sent_at is not None)


def retry_due(now=None):
    """The retry job (`omnicrm cbc-retry`, and the embedded server's/workers' minute clock): resend every failed
    alert whose backoff has passed. Each alert is locked and checked again, then committed on its own, so two
    processes never send one alert twice and one failure does not hold back the others. Returns counts."""
    now = now or utcnow()
    due_ids = db.session.scalars(select(CbcMessage.cbc_message_id).where(
        CbcMessage.status == "failed", CbcMessage.pending_action == "send", CbcMessage.next_retry_at <= now)).all()
    db.session.rollback()
    sent = 0
    for cbc_message_id in due_ids:
        msg = get_message(cbc_message_id, lock=True)
        if msg.status == "failed" and msg.pending_action == "send" and msg.next_retry_at <= now:
            sent += bool(retry(msg))
        db.session.commit()
    return {"due": len(due_ids), "sent": sent}


def run_scheduled():
    """The minute job: resend due alerts, expire finished ones."""
    result = retry_due()
    result["expired"] = refresh_expired()
    return result


def cancel(msg):
    """DELETE: stop the alert. A draft or an alert never sent is cancelled here only; one the CBC may be
    broadcasting is cancelled at the CBC first (503 and nothing changed when the CBC cannot confirm)."""
    if msg.status in ("cancelled", "expired"):
        raise Conflict(f"This alert is already {msg.status}")
    ack = None
    if msg.send_attempts:
        try:
            ack = client().cancel(msg.cbc_unique_id, msg.message_identifier)
        except CbcRefused as exc:
            if exc.status_code != 404:  # 404: the CBC never had it, nothing is broadcasting
                raise ApiError(f"The CBC refused to cancel the alert: {exc}", status_code=502) from None
            ack = {"not_found_at_cbc": True}
        except CbcError as exc:
            raise DependencyUnavailable(f"The alert is still broadcasting: the CBC could not be reached to cancel "
                                        f"it ({exc}); try again") from None
    before = msg.status
    msg.status, msg.pending_action, msg.next_retry_at = "cancelled", None, None
    _clear_pending_update(msg)
    if ack is not None:
        msg.cbc_ack = json.dumps(ack)[:10000]
    _history(msg, "cancelled", before, {"cbc_ack": ack} if ack is not None else None)


def refresh_expired(now=None):
    now = now or utcnow()
    rows = db.session.scalars(select(CbcMessage).where(CbcMessage.status == "active",
                                                       CbcMessage.expires_at <= now)).all()
    for msg in rows:
        msg.status = "expired"
        _clear_pending_update(msg)
        _history(msg, "expired", "active", system=True)
    if rows:
        db.session.commit()
    return len(rows)


# --- zones -----------------------------------------------------------------------------------------------------

SHAPES = ("polygon", "circle", "rectangle")


def _point(value):
    if not isinstance(value, dict):
        return False
    lat, lng = value.get("lat"), value.get("lng")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lng))
    return numbers and -90 <= lat <= 90 and -180 <= lng <= 180


def _coordinates(check, shape, raw):
    if shape == "polygon":
        ok = isinstance(raw, list) and len(raw) >= 3 and all(_point(p) for p in raw)
        if not ok:
            check.error("coordinates", "a polygon needs at least 3 points {lat, lng}")
        elif raw[0] != raw[-1]:
            raw = [*raw, raw[0]]  # close the ring
    elif shape == "circle":
        ok = isinstance(raw, dict) and _point(raw.get("center")) and isinstance(raw.get("radius_m"), (int, float)) \
            and not isinstance(raw.get("radius_m"), bool) and 0 < raw["radius_m"] <= 1_000_000
        if not ok:
            check.error("coordinates", "a circle needs {center: {lat, lng}, radius_m} (metres, up to 1000 km)")
    elif shape == "rectangle":
        ok = isinstance(raw, dict) and _point(raw.get("south_west")) and _point(raw.get("north_east"))
        if not ok:
            check.error("coordinates", "a rectangle needs {south_west: {lat, lng}, north_east: {lat, lng}}")
    return raw


def check_zone(data, existing=None):
    check = Checker(data)
    check.reject_unknown(("name", "shape", "coordinates", "tracking_areas"))
    creating = existing is None
    if creating or "name" in data:
        check.string("name", required=True, max_length=100)
    shape = data.get("shape", existing.shape if existing else None)
    if creating or "shape" in data:
        check.string("shape", required=True, choices=SHAPES)
    if creating or "coordinates" in data or "shape" in data:
        raw = data.get("coordinates") if "coordinates" in data or creating else json.loads(existing.coordinates)
        check.values["coordinates"] = _coordinates(check, shape, raw)
    if creating or "tracking_areas" in data:
        check.values["tracking_areas"] = [{k: v for k, v in a.items() if k != "zone_id"}
                                          for a in _areas(check, data.get("tracking_areas"))]
    name = check.values.get("name")
    if name and db.session.scalar(select(CbcZone.zone_id).where(CbcZone.name == name,
                                                                CbcZone.zone_id != (existing.zone_id if existing
                                                                                    else -1))):
        check.error("name", "a zone with this name exists")
    return check.done() or check.values


def zone_to_dict(zone):
    return {"zone_id": zone.zone_id, "name": zone.name, "shape": zone.shape,
            "coordinates": json.loads(zone.coordinates), "tracking_areas": json.loads(zone.tracking_areas or "[]"),
            "created_by": zone.created_by, "created": iso(zone.created), "updated": iso(zone.updated)}


def save_zone(values, zone=None):
    creating = zone is None
    zone = zone or CbcZone(created_by=_actor()[0])
    if "name" in values:
        zone.name = values["name"]
    if "shape" in values:
        zone.shape = values["shape"]
    if "coordinates" in values:
        zone.coordinates = json.dumps(values["coordinates"])
    if "tracking_areas" in values:
        zone.tracking_areas = json.dumps(values["tracking_areas"])
    db.session.add(zone)
    db.session.flush()
    activity.record("cbc_zone", zone.zone_id, "create" if creating else "update", f"Cell broadcast zone {zone.name}")
    return zone
