"""The service side of the OCS (CGRateS): live balances and ActionPlans of a service, auto-renewals, top-ups,
account state on status changes, and the service's CGRateS attribute/filter profiles (spec 04 §13-15, spec 05
§4-6; spec 06 §9-10).

Every CGRateS call goes through `omnicrm.integrations.cgrates`, whose errors are ApiErrors (503 unreachable,
404 not found, 502 CGRateS refused). CGRateS is called before rows change and callers commit only after it
answered, so a failing OCS never leaves half-written rows.
"""
import json
import re
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, g
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict, NotFound, ValidationError
from omnicrm.integrations import cgrates, stripe_client
from omnicrm.services.models import ENDED_STATUSES, Service


# ---------------------------------------------------------------------------------------------- client

def ocs_client():
    """A client for the configured engine and tenant (`ocs.cgrates`, `ocs.ocsTenant`)."""
    config = current_app.config["CRM"]["ocs"]
    return cgrates.CGRateSClient(config["cgrates"], timeout=float(config.get("timeout_seconds") or 5),
                                 tenant=config.get("ocsTenant") or cgrates.DEFAULT_TENANT)


def get_account(service_uuid):
    """The CGRateS account of a service (ApierV2.GetAccount), or None when CGRateS has no such account."""
    try:
        return ocs_client().get_account(service_uuid)
    except cgrates.OcsNotFound:
        return None


# ---------------------------------------------------------------------------------------------- ActionPlans

_KEYED_SEGMENTS = re.compile(r"^[A-Za-z]+_.+")
_SINGLE_UNDERSCORE = re.compile(r"^ServiceID_(?P<ServiceID>.+?)_ProductID_(?P<ProductID>\d+)(?:_(?P<PlanName>.+))?$")
_MONTHLY = re.compile(r"^ActionPlan_(?P<PlanName>[A-Za-z]+)_(?P<ServiceID>.+)_(?P<ProductID>\d+)$")


def parse_action_plan_id(plan_id):
    """The parts an ActionPlanId encodes, for the three namings the playbooks use:
    `ServiceID_<uuid>__ProductID_<pid>__CustomerID_<cid>__<name>` (spec 04 §15.3),
    `ServiceID_<uuid>_ProductID_<pid>_MonthlyRenewal` (spec 06 §10) and
    `ActionPlan_Monthly_<uuid>_<pid>` (spec 03 §12.11). Ids are ints; unknown forms give {}."""
    parts = {}
    if "__" in plan_id:
        for segment in plan_id.split("__"):
            if _KEYED_SEGMENTS.match(segment):
                key, value = segment.split("_", 1)
                parts[key] = value
            elif segment:
                parts.setdefault("PlanName", segment)
    else:
        match = _SINGLE_UNDERSCORE.match(plan_id) or _MONTHLY.match(plan_id)
        if match:
            parts = {k: v for k, v in match.groupdict().items() if v is not None}
    for key in ("ProductID", "CustomerID"):
        if key in parts:
            try:
                parts[key] = int(parts[key])
            except ValueError:
                pass
    return parts


def humanize_when(moment, now=None):
    """'in 11 days', 'tomorrow', 'in 3 hours', 'today', or '2 days ago' (spec 04 §15.2 custom_*_hr)."""
    if moment is None:
        return None
    now = now or utcnow()
    seconds = (moment - now).total_seconds()
    future = seconds >= 0
    seconds = abs(seconds)
    if seconds < 3600:
        minutes = max(1, int(seconds // 60))
        text = f"{minutes} minute{'s' if minutes != 1 else ''}"
    elif seconds < 86400:
        hours = int(seconds // 3600)
        text = f"{hours} hour{'s' if hours != 1 else ''}"
    else:
        days = int(seconds // 86400)
        if days == 1:
            return "tomorrow" if future else "yesterday"
        text = f"{days} days"
    return f"in {text}" if future else f"{text} ago"


def parse_ocs_time(text):
    """A CGRateS time (any zone, up to 9 fractional digits) as naive UTC; None for "never" or unreadable."""
    try:
        moment = cgrates.parse_time(text)
    except (TypeError, ValueError):
        return None
    return None if moment is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


def _products_by_id(ids):
    from omnicrm.products.models import Product
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    return {p.product_id: p for p in db.session.scalars(select(Product).where(Product.product_id.in_(ids)))}


def action_plans(service):
    """The service's auto-renewals (ApierV2.GetAccountActionPlan) in the spec 04 §15.2 shape, with the product
    name and cost looked up from the ProductID the plan id carries. A plan with several timings (CGRateS lists one
    row per timing) is one auto-renewal, shown with its next run."""
    plans = []
    for row in _next_timing_per_plan(ocs_client().get_account_action_plans(service.service_uuid) or []):
        parts = parse_action_plan_id(row.get("ActionPlanId", ""))
        next_exec = parse_ocs_time(row.get("NextExecTime"))
        plans.append({"ActionPlanId": row.get("ActionPlanId"), "ActionsId": row.get("ActionsId"),
                      "PlanName": parts.get("PlanName") or row.get("ActionsId"),
                      "NextExecTime": row.get("NextExecTime"),
                      "custom_NextExecTime_hr": humanize_when(next_exec),
                      "ActionPlanId_split_dict": parts})
    products = _products_by_id(p["ActionPlanId_split_dict"].get("ProductID") for p in plans)
    for plan in plans:
        product = products.get(plan["ActionPlanId_split_dict"].get("ProductID"))
        plan["product_id"] = product.product_id if product else None
        plan["product_name"] = product.product_name if product else None
        plan["retail_cost"] = _money(product.retail_cost) if product else None
    return plans


def _next_timing_per_plan(rows):
    earliest = {}
    for row in rows:
        plan_id, when = row.get("ActionPlanId"), parse_ocs_time(row.get("NextExecTime"))
        kept = earliest.get(plan_id)
        if kept is None or (when is not None and (kept[1] is None or when < kept[1])):
            earliest[plan_id] = (row, when)
    return [row for row, _when in earliest.values()]


def _money(value):
    from omnicrm.common.serialize import decimal_text
    return decimal_text(value) if value is not None else None


def _plan_service(plan_id):
    """The CRM service an ActionPlan belongs to: its attached accounts (GetActionPlan), else its id."""
    plan = ocs_client().get_action_plan(plan_id)
    accounts = [key.split(":", 1)[-1] for key in (plan.get("AccountIDs") or {})]
    uuid_from_id = parse_action_plan_id(plan_id).get("ServiceID")
    candidates = accounts + ([uuid_from_id] if uuid_from_id else [])
    if not candidates:
        return None
    return db.session.scalars(select(Service).where(Service.service_uuid.in_(candidates))).first()


def remove_action_plan(plan_id):
    """Cancel an auto-renewal (spec 04 §15.5): remove the plan in CGRateS, reload its scheduler, and log
    "Removed ActionPlan {id} from service {service_id}". Customer users may only remove their own."""
    from omnicrm.services.service import visible_to_caller
    try:
        service = _plan_service(plan_id)
    except cgrates.OcsNotFound:
        raise NotFound(f"ActionPlan {plan_id} not found") from None
    if service is None or not visible_to_caller(service):
        raise NotFound(f"ActionPlan {plan_id} is not attached to a service you can see")
    ocs_client().remove_action_plan(plan_id)
    activity.record("service", service.service_id, "remove_action_plan",
                    f"Removed ActionPlan {plan_id} from service {service.service_id}",
                    customer_id=service.customer_id)
    return service


def _plan_definition(client, plan_id):
    """What it takes to re-create a plan exactly: its timings as SetActionPlan items (a keyword timing such as
    *monthly is stored with the day and time it was anchored on, so HH:MM:SS plus MonthDays repeats it)."""
    plan = client.get_action_plan(plan_id)
    items = []
    for timing in plan.get("ActionTimings") or []:
        cron = (timing.get("Timing") or {}).get("Timing") or {}
        item = {"ActionsId": timing.get("ActionsID"), "Time": cron.get("StartTime") or "*asap",
                "Years": _cron_list(cron.get("Years")), "Months": _cron_list(cron.get("Months")),
                "MonthDays": _cron_list(cron.get("MonthDays")), "WeekDays": _cron_list(cron.get("WeekDays")),
                "Weight": jsonable(timing.get("Weight") or 0)}
        if cron.get("ID") == "*monthly_estimated":
            items.extend(_month_end_fallback(item, cron.get("MonthDays") or []))
        else:
            items.append(item)
    return {"Id": plan_id, "ActionPlan": items, "others": [k for k in (plan.get("AccountIDs") or {})]}


SHORTEST_MONTH = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _month_end_fallback(item, month_days):
    """A *monthly_estimated timing (its anchor day, else the month's last day, CONTRACT.md §6.8) as cron items a
    SetActionPlan can re-create without moving the anchor: the day in the months that always have it, the last day
    (MonthDays -1) in the others. An anchor up to the 28th is a plain monthly day."""
    day = max((int(d) for d in month_days), default=0)
    if day <= 28:
        return [item]
    fits = [m for m, length in SHORTEST_MONTH.items() if length >= day]
    short = [m for m in SHORTEST_MONTH if m not in fits]
    return [{**item, "Months": _cron_list(fits), "MonthDays": str(day)},
            {**item, "Months": _cron_list(short), "MonthDays": "-1"}]


def _cron_list(values):
    return ";".join(str(jsonable(v)) for v in values or [])


def pause_renewals(service):
    """Take the service's ActionPlans off CGRateS so nothing fires while it is not Active: a disabled account
    still runs its plans, and a plan without accounts still sends its *http_post (CONTRACT.md §7, §8.13). The plans
    are kept on the service and re-created by resume_renewals. Returns the plan ids taken off."""
    client = ocs_client()
    if get_account(service.service_uuid) is None:
        return []
    account_key = f"{client.tenant}:{service.service_uuid}"
    plan_ids = list(dict.fromkeys(p["ActionPlanId"] for p in client.get_account_action_plans(service.service_uuid)
                                  or []))
    definitions = [_plan_definition(client, plan_id) for plan_id in plan_ids]  # all read before anything changes
    shared = [d["Id"] for d in definitions if set(d["others"]) - {account_key}]
    if shared:  # plans other accounts use stay; this account is detached from them
        client.set_account(service.service_uuid, action_plan_ids=[p for p in plan_ids if p not in shared],
                           action_plans_overwrite=True, reload_scheduler=False)
    for definition in definitions:
        if definition["Id"] not in shared:
            client.remove_action_plan(definition["Id"], reload_scheduler=False)
    if plan_ids:
        client.reload_scheduler()
        kept = json.loads(service.paused_action_plans or "[]")
        service.paused_action_plans = json.dumps(kept + [{"Id": d["Id"], "ActionPlan": d["ActionPlan"],
                                                          "shared": d["Id"] in shared} for d in definitions])
    return plan_ids


def resume_renewals(service):
    """Re-create and re-attach the plans pause_renewals took off. Their timings keep the original anchor, so the next
    renewal is the next anniversary after reactivation (a renewal date missed while paused is not charged)."""
    paused = json.loads(service.paused_action_plans or "[]")
    if not paused or get_account(service.service_uuid) is None:
        return []  # an account removed meanwhile (deprovisioned) is not re-created by a status change
    client = ocs_client()
    for plan in paused:
        if not plan.get("shared"):
            client.set_action_plan(plan["Id"], plan["ActionPlan"], overwrite=True, reload_scheduler=False)
    plan_ids = [plan["Id"] for plan in paused]
    client.set_account(service.service_uuid, action_plan_ids=plan_ids, reload_scheduler=True)
    service.paused_action_plans = None
    return plan_ids


def stop_recurring_charges(service):
    """Remove every auto-renewal of a service for good (delete, deprovision); returns the plan ids."""
    client = ocs_client()
    if get_account(service.service_uuid) is None:
        return []
    removed = [plan["ActionPlanId"] for plan in client.get_account_action_plans(service.service_uuid) or []]
    removed = list(dict.fromkeys(removed))
    for plan_id in removed:
        client.remove_action_plan(plan_id, reload_scheduler=False)
    if removed:
        client.reload_scheduler()
    return removed


def deprovision_ocs(service):
    """Everything the OCS holds for a service that ends for good (spec 06 §11.2-11.3 full cancellation): its
    auto-renewals removed, the account disabled then removed, the scheduler reloaded (RemoveAccount alone does not
    stop queued plans re-creating it, CONTRACT.md §8.9), and its attribute profile and filter removed. Returns
    what was done; an unreachable OCS raises before anything changes in the CRM."""
    client = ocs_client()
    report = {"ocs_account": service.service_uuid, "action_plans_removed": [], "account_disabled": False,
              "account_removed": False, "scheduler_reloaded": False, "profiles_removed": []}
    if get_account(service.service_uuid) is not None:
        report["action_plans_removed"] = stop_recurring_charges(service)
        client.disable_account(service.service_uuid)
        report["account_disabled"] = True
        client.remove_account(service.service_uuid, reload_scheduler=True)
        report["account_removed"] = report["scheduler_reloaded"] = True
    for profile_id, remove in ((cgrates.attribute_profile_id(service.service_uuid), client.remove_attribute_profile),
                               (cgrates.filter_id(service.service_uuid), client.remove_filter)):
        try:
            remove(profile_id)
            report["profiles_removed"].append(profile_id)
        except cgrates.OcsNotFound:
            pass
    service.paused_action_plans = None
    return report


def sync_account_status(service, old_status, new_status):
    """A status change reaches the OCS (spec 05 §3.3, spec 06 §11.3): suspended and ended services are disabled in
    CGRateS and enabled again when they come back to Active; and only an Active service renews: its ActionPlans are
    paused on leaving Active and resumed on coming back. Services without a CGRateS account are left alone."""
    blocked = ("Suspended", *ENDED_STATUSES)
    if old_status == "Active" and new_status != "Active":
        pause_renewals(service)
    disable = new_status in blocked
    if (old_status in blocked) != disable:
        account = get_account(service.service_uuid)
        if account is not None and bool(account.get("Disabled")) != disable:
            ocs_client().set_account(service.service_uuid, disabled=disable, reload_scheduler=False)
    if new_status == "Active" and old_status != "Active":
        resume_renewals(service)


# ---------------------------------------------------------------------------------------------- renewals

def provisioning_engine():
    """The provisioning engine's `omnicrm.provisioning.service.create_job(identity, order)`, or None while it is
    not installed: the one place that tolerates its absence."""
    try:
        from omnicrm.provisioning.service import create_job
    except ImportError:
        return None
    return create_job


class ProvisioningUnavailable(ApiError):
    status_code = 501


def provision_addon(service, product_id, reason, note=None):
    """Re-run an add-on's provisioning on a service (Renew Now, add-on top-ups) as the calling identity; the
    engine validates the order, commits the job and runs it in the background."""
    engine = provisioning_engine()
    if engine is None:
        raise ProvisioningUnavailable(
            "The provisioning engine is not installed: this add-on cannot be provisioned from the CRM yet. "
            "Nothing was changed.")
    activity.record("service", service.service_id, reason,
                    f"{reason.replace('_', ' ').capitalize()}: provisioning product {product_id} on service "
                    f"{service.service_id}" + (f": {note}" if note else ""), customer_id=service.customer_id,
                    changes={"reason": note, "by": _actor_label()} if note else None)
    job = engine(g.identity, {"service_id": service.service_id, "product_id": product_id})
    return {"provision_id": job.provision_id, "provisioning_status": job.provisioning_status,
            "service_id": service.service_id, "product_id": product_id, "message": "Provisioning job created"}


def renew_now(plan_id):
    """Renew Now (spec 04 §15.6): the ProductID in the plan id is provisioned again on the plan's service."""
    from omnicrm.services.service import visible_to_caller
    try:
        service = _plan_service(plan_id)
    except cgrates.OcsNotFound:
        raise NotFound(f"ActionPlan {plan_id} not found") from None
    if service is None or not visible_to_caller(service):
        raise NotFound(f"ActionPlan {plan_id} is not attached to a service you can see")
    product_id = parse_action_plan_id(plan_id).get("ProductID")
    if not isinstance(product_id, int):
        raise Conflict(f"ActionPlan {plan_id} does not name a ProductID, so it cannot be renewed from the CRM")
    return provision_addon(service, product_id, "renew_now")


def upcoming_renewals():
    """Every scheduled auto-renewal (ApierV1.GetScheduledActions), enriched with the CRM's customer, service
    and product (spec 05 §5.2); sorted by next run."""
    from omnicrm.customers.models import Customer
    client = ocs_client()
    scheduled = client.get_scheduled_actions()
    try:
        plans = client.get_action_plans()
    except cgrates.OcsNotFound:
        plans = []
    accounts_by_plan = {p.get("Id"): [k.split(":", 1)[-1] for k in (p.get("AccountIDs") or {})] for p in plans}
    rows = []
    for item in scheduled:
        plan_id = item.get("ActionPlanID") or ""
        parts = parse_action_plan_id(plan_id)
        uuids = accounts_by_plan.get(plan_id) or ([parts["ServiceID"]] if "ServiceID" in parts else [])
        rows.append((item, parts, uuids))
    all_uuids = {u for _, _, uuids in rows for u in uuids}
    services = {s.service_uuid: s for s in db.session.scalars(
        select(Service).where(Service.service_uuid.in_(all_uuids)))} if all_uuids else {}
    products = _products_by_id(parts.get("ProductID") for _, parts, _ in rows)
    result = []
    for item, parts, uuids in rows:
        service = next((services[u] for u in uuids if u in services), None)
        customer = db.session.get(Customer, service.customer_id) if service is not None else None
        product = products.get(parts.get("ProductID"))
        next_run = parse_ocs_time(item.get("NextRunTime"))
        result.append({
            "ActionPlanID": item.get("ActionPlanID"), "ActionsID": item.get("ActionsID"),
            "NextRunTime": item.get("NextRunTime"), "renews_in": humanize_when(next_run),
            "customer_id": customer.customer_id if customer else None,
            "customer_name": customer.customer_name if customer else "N/A",
            "service_id": service.service_id if service else None,
            "service_uuid": service.service_uuid if service else (uuids[0] if uuids else None),
            "service_name": (service.service_name or service.service_uuid) if service else "N/A",
            "service_status": (service.service_status or "Unknown") if service else "Unknown",
            "product_id": parts.get("ProductID"),
            "product_name": product.product_name if product else (parts.get("PlanName") or item.get("ActionsID")),
            "cost": _money(product.retail_cost) if product else "N/A",
        })
    result.sort(key=lambda r: (parse_ocs_time(r["NextRunTime"]) is None, parse_ocs_time(r["NextRunTime"])
                               or datetime.min))
    return result


# ---------------------------------------------------------------------------------------------- balances

TYPE_LABELS = {"*data": "DATA", "*voice": "VOICE", "*sms": "SMS", "*monetary": "MONETARY", "*mms": "MMS",
               "*generic": "GENERIC"}
CURRENCY_SYMBOLS = {"aud": "$", "usd": "$", "nzd": "$", "cad": "$", "gbp": "£", "eur": "€"}
# The allowance a bucket was sold with is only written in its ID ("DATA_20GB_Monthly", "VOICE_500MIN", "SMS_100").
_ALLOWANCE = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s*(TB|GB|MB|MINS?|MINUTES|SMS)(?![A-Za-z])", re.IGNORECASE)
_SMS_COUNT = re.compile(r"\bSMS\s+(\d+)\b", re.IGNORECASE)
_ALLOWANCE_UNITS = {"TB": ("*data", Decimal(1024)), "GB": ("*data", Decimal(1)), "MB": ("*data", 1 / Decimal(1024)),
                    "MIN": ("*voice", Decimal(1)), "MINS": ("*voice", Decimal(1)),
                    "MINUTES": ("*voice", Decimal(1)), "SMS": ("*sms", Decimal(1))}


def _currency_symbol():
    code = stripe_client.currency()
    return CURRENCY_SYMBOLS.get(code, code.upper() + " " if code else "")


def _number_text(value, places=2):
    text = f"{value.quantize(Decimal(1) / 10**places, rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _amount_text(balance_type, value):
    """A human amount: "12.5 GB" (MB under 1 GB), "125 minutes", "45 SMS", "$15.50"."""
    if balance_type == "*data":
        if value != 0 and abs(value) < 1:
            return f"{_number_text(value * 1024)} MB"
        return f"{_number_text(value)} GB"
    if balance_type == "*voice":
        return f"{_number_text(value)} minute{'s' if value != 1 else ''}"
    if balance_type == "*sms":
        return f"{_number_text(value, 0)} SMS"
    if balance_type == "*monetary":
        return f"{_currency_symbol()}{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"
    return f"{_number_text(value)} units"


def _allowance(bucket_id, balance_type):
    """The allowance named in a bucket ID, in the type's human unit, or None."""
    text = (bucket_id or "").replace("_", " ")
    match = _ALLOWANCE.search(text)
    if match:
        kind, factor = _ALLOWANCE_UNITS[match.group(2).upper()]
        return Decimal(match.group(1)) * factor if kind == balance_type else None
    match = _SMS_COUNT.search(text)  # "SMS_100"
    return Decimal(match.group(1)) if match and balance_type == "*sms" else None


def _name_hr(bucket_id, balance_type):
    if not bucket_id:
        return f"{TYPE_LABELS.get(balance_type, balance_type).title()} balance"
    return " ".join(part for part in bucket_id.replace("-", " ").split("_") if part)


def _expiry_hr(expires_at, expired):
    if expires_at is None:
        return None
    day = f"{expires_at:%B} {expires_at.day}, {expires_at.year}"
    return f"{day} (EXPIRED)" if expired else f"{day} ({humanize_when(expires_at)})"


def _colour(percent):
    """Spec 05 §4.4: green above 50 % remaining, yellow from 20 % to 50 %, red below 20 %."""
    if percent is None:
        return None
    return "green" if percent > 50 else "yellow" if percent >= 20 else "red"


def _percent(remaining, allowance):
    if not allowance:
        return None
    return int(min(Decimal(100), max(Decimal(0), remaining * 100 / allowance)))  # truncated, as the spec shows


def _bucket_view(raw, bucket):
    """The native CGRateS fields plus the CRM-added ones (spec 04 §13.3)."""
    unlimited = "unlimited" in (bucket.id or "").lower()
    allowance = None if unlimited else _allowance(bucket.id, bucket.balance_type)
    remaining = Decimal(0) if bucket.expired else bucket.value
    if unlimited:
        description = f"Unlimited {'minutes' if bucket.balance_type == '*voice' else 'usage'}"
    elif bucket.balance_type == "*monetary":
        description = f"{_amount_text('*monetary', bucket.value)} credit"
    else:
        description = f"{_amount_text(bucket.balance_type, remaining)} remaining"
    expires_at = parse_ocs_time(raw.get("ExpirationDate"))
    view = {key: jsonable(raw.get(key)) for key in ("Uuid", "ID", "Value", "ExpirationDate", "Weight", "DestinationIDs",
                                         "Disabled", "Blocker")}
    view.update({
        "unit": cgrates.UNITS.get(bucket.balance_type, "units"), "value_hr": _plain(bucket.value),
        "remaining": _plain(remaining), "allowance": _plain(allowance),
        "used": _plain(max(Decimal(0), allowance - remaining)) if allowance is not None else None,
        "percent_remaining": _percent(remaining, allowance), "unlimited": unlimited,
        "expires_at": _iso(expires_at), "expired": bucket.expired, "never_expires": expires_at is None,
        "custom_Name_hr": _name_hr(bucket.id, bucket.balance_type),
        "custom_Expiration": _expiry_hr(expires_at, bucket.expired),
        "custom_Description_String": description,
    })
    view["colour"] = _colour(view["percent_remaining"])
    return view


def jsonable(value):
    """CGRateS replies are parsed with Decimal numbers; JSON gets ints, or floats for fractions."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def _plain(value):
    from omnicrm.common.serialize import decimal_text
    return None if value is None else decimal_text(Decimal(value))


def _iso(value):
    from omnicrm.common.serialize import iso
    return iso(value)


def present_balances(account, hide_types=()):
    """The account's BalanceMap as the UI reads it: buckets with human fields (consumption order: highest
    Weight first) and, per type label (DATA, VOICE, SMS, MONETARY), totals of the usable buckets."""
    balance_map = (account or {}).get("BalanceMap") or {}
    summary = cgrates.summarize_balances(balance_map, now=datetime.now(timezone.utc))
    raw_by_uuid = {b.get("Uuid"): b for chain in balance_map.values() for b in chain}
    buckets_out, totals = {}, {}
    for balance_type, type_summary in summary.items():
        if balance_type in hide_types:
            continue
        views = [_bucket_view(raw_by_uuid.get(b.uuid, {}), b) for b in type_summary.buckets]
        buckets_out[balance_type] = views
        usable = [v for v in views if not v["expired"] and not v["Disabled"]]
        unlimited = any(v["unlimited"] for v in usable)
        allowances = [Decimal(v["allowance"]) for v in usable if v["allowance"] is not None]
        allowance = sum(allowances, Decimal(0)) if allowances and len(allowances) == len(usable) else None
        remaining = type_summary.total
        totals[TYPE_LABELS.get(balance_type, balance_type)] = {
            "balance_type": balance_type, "unit": type_summary.unit, "buckets": len(views),
            "remaining": _plain(remaining), "remaining_hr": ("Unlimited" if unlimited
                                                             else _amount_text(balance_type, remaining)),
            "allowance": _plain(allowance),
            "used": _plain(max(Decimal(0), allowance - remaining)) if allowance is not None else None,
            "percent_remaining": _percent(remaining, allowance), "colour": _colour(_percent(remaining, allowance)),
            "unlimited": unlimited,
            "next_expiry": min((v["expires_at"] for v in usable if v["expires_at"]), default=None),
        }
    return {"BalanceMap": buckets_out, "totals": totals, "AllowNegative": (account or {}).get("AllowNegative"),
            "Disabled": (account or {}).get("Disabled")}


def live_ocs_block(service):
    """What GET /crm/service/{id} adds: live balances and ActionPlans under "cgrates", or a clear "ocs_error"
    when CGRateS is down or has no account — the service itself always loads (spec 04 §13.2)."""
    from omnicrm.services.service import usage_visible_to_caller
    if not usage_visible_to_caller(service):
        return {"cgrates": None, "usage_visible": False}
    try:
        account = get_account(service.service_uuid)
        if account is None:
            return {"cgrates": None, "usage_visible": True,
                    "ocs_error": f"The OCS has no account {service.service_uuid} for this service"}
        block = present_balances(account)
        block["ActionPlans"] = action_plans(service)
    except ApiError as error:
        return {"cgrates": None, "usage_visible": True, "ocs_error": error.message}
    return {"cgrates": block, "usage_visible": True, "ocs_error": None}


def service_usage(service, dongle=False):
    """The polling endpoint's body (spec 05 §4): totals and buckets per type; a dongle hides voice and SMS."""
    from omnicrm.services.service import usage_visible_to_caller
    if not usage_visible_to_caller(service):
        raise NotFound("Usage of this service is not available")
    account = get_account(service.service_uuid)
    if account is None:
        raise NotFound(f"The OCS has no account {service.service_uuid} for this service")
    body = present_balances(account, hide_types=("*voice", "*sms") if dongle else ())
    body.update(service_id=service.service_id, service_uuid=service.service_uuid,
                service_status=service.service_status, fetched_at=_iso(utcnow()),
                ActionPlans=action_plans(service), refresh_seconds=3)
    return body


# ---------------------------------------------------------------------------------------------- top-up

TOPUP_EXPIRY = "+4320h"  # 180 days, as play_topup_monetary (spec 04 §9.5)
TOPUP_WEIGHT = 10  # prepaid credit is spent before lower-weight balances (spec 04 §14.3)
TOPUP_STATUSES = ("Active", "Suspended", "Pending Cancellation")


def topup_limits():
    config = current_app.config["CRM"]["ocs"]
    return (Decimal(str(config.get("topup_min_amount", "1.00"))),
            Decimal(str(config.get("topup_max_amount", "500.00"))))


def _actor_label():
    return g.identity.label if getattr(g, "identity", None) is not None else "system"


def topup_monetary(service, amount, reason):
    """Staff add prepaid credit (spec 07 §6.7, 05 §10): the amount is charged to the customer's account as a
    Transaction naming who did it and why (card payments come with billing), credited in CGRateS as its own bucket,
    and the new balance is returned at once. Either both happen or neither."""
    from omnicrm.billing.models import Transaction
    minimum, maximum = topup_limits()
    if amount.as_tuple().exponent < -2:
        raise ValidationError("Validation failed", errors={"amount": "at most 2 decimals"})
    if not minimum <= amount <= maximum:
        raise ValidationError("Validation failed", errors={"amount": f"must be between {minimum} and {maximum}"})
    if service.service_status not in TOPUP_STATUSES:
        raise Conflict(f"Service {service.service_id} is {service.service_status}: it cannot be topped up")
    client = ocs_client()
    if get_account(service.service_uuid) is None:
        raise Conflict(f"The OCS has no account {service.service_uuid}: provision the service first")
    transaction = Transaction(customer_id=service.customer_id, service_id=service.service_id,
                              title=f"Top-up - {service.service_name}"[:255],
                              description=f"Prepaid credit {amount} added to {service.service_uuid} by "
                                          f"{_actor_label()}: {reason}",
                              transaction_type="debit", retail_cost=amount, wholesale_cost=Decimal(0))
    db.session.add(transaction)
    db.session.flush()
    bucket_id = f"TOPUP_{transaction.transaction_id}"
    client.add_balance(service.service_uuid, "*monetary", amount, balance_id=bucket_id, expiry=TOPUP_EXPIRY,
                       weight=TOPUP_WEIGHT)
    activity.record("service", service.service_id, "topup",
                    f"Topped up service {service.service_id} with {amount} (transaction {transaction.transaction_id}):"
                    f" {reason}", customer_id=service.customer_id,
                    changes={"amount": str(amount), "reason": reason, "by": _actor_label()})
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        client.debit_balance(service.service_uuid, "*monetary", amount, balance_id=bucket_id)  # undo the credit
        raise
    balances = present_balances(client.get_account(service.service_uuid))
    return {"service_id": service.service_id, "transaction_id": transaction.transaction_id,
            "amount": _plain(amount), "balance_id": bucket_id, "MONETARY": balances["totals"].get("MONETARY"),
            "balances": balances}


def topup_addon(service, product_id, reason):
    """An add-on top-up: the add-on's own provisioning charges, credits and records it (spec 06 §9)."""
    from omnicrm.products.models import Product
    product = db.session.get(Product, product_id)
    errors = {}
    if product is None:
        errors["product_id"] = f"product {product_id} does not exist"
    elif product.category != "addon" or not product.enabled:
        errors["product_id"] = "must be an enabled add-on product"
    elif product.service_type and service.service_type and product.service_type != service.service_type:
        errors["product_id"] = f"is a {product.service_type} add-on; this service is {service.service_type}"
    if errors:
        raise ValidationError("Validation failed", errors=errors)
    if service.service_status not in TOPUP_STATUSES:
        raise Conflict(f"Service {service.service_id} is {service.service_status}: it cannot be topped up")
    return provision_addon(service, product_id, "topup", note=reason)


# ---------------------------------------------------------------------------------------------- CGRateS settings

ATTRIBUTE_TYPES = ("*constant", "*variable", "*composed", "*usage_difference", "*sum", "*value_exponent")
FILTER_TYPES = ("*string", "*prefix", "*suffix", "*empty", "*exists", "*notexists", "*timings", "*destinations",
                "*rsr", "*gt", "*gte", "*lt", "*lte")


def _fetch(getter, item_id):
    try:
        return getter(item_id)
    except cgrates.OcsNotFound:
        return None


def get_attribute_profile(service):
    """The service's ATTR_ACCOUNT_{service_uuid} profile; None when it does not exist (empty form)."""
    profile_id = cgrates.attribute_profile_id(service.service_uuid)
    return {"ID": profile_id, "profile": jsonable(_fetch(ocs_client().get_attribute_profile, profile_id))}


def get_filter(service):
    filter_id = cgrates.filter_id(service.service_uuid)
    return {"ID": filter_id, "filter": jsonable(_fetch(ocs_client().get_filter, filter_id))}


def _check_rows(rows, name, required, types_key, types, list_key):
    """Rows of attributes or filter rules: required keys present, a known Type, at least one value each."""
    errors = {}
    if not isinstance(rows, list):
        return {name: "must be a list"}
    for index, row in enumerate(rows):
        where = f"{name}[{index}]"
        if not isinstance(row, dict):
            errors[where] = "must be an object"
            continue
        for key in required:
            if not str(row.get(key) or "").strip():
                errors[f"{where}.{key}"] = "is required"
        if row.get(types_key) and row[types_key] not in types:
            errors[f"{where}.{types_key}"] = f"must be one of: {', '.join(types)}"
        values = row.get(list_key)
        if list_key == "Value":
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, dict) and str(v.get("Rules") or "").strip() for v in values):
                errors[f"{where}.Value"] = 'must be a non-empty list of {"Rules": "..."}'
        elif row.get(types_key) not in ("*empty", "*exists", "*notexists") and (
                not isinstance(values, list) or not values):
            errors[f"{where}.{list_key}"] = "must be a non-empty list"
    return errors


def save_attribute_profile(service, data):
    """Replace the service's attribute rows (spec 05 §6.3); an empty list removes the profile. The activity
    log gets the profile before and after."""
    attributes = data.get("Attributes")
    errors = _check_rows(attributes, "Attributes", ("Path", "Type"), "Type", ATTRIBUTE_TYPES, "Value")
    if errors:
        raise ValidationError("Validation failed", errors=errors)
    client = ocs_client()
    before = get_attribute_profile(service)["profile"]
    profile_id = cgrates.attribute_profile_id(service.service_uuid)
    if not attributes:
        if before is not None:
            client.remove_attribute_profile(profile_id, missing_ok=True)
        after = None
    else:
        profile = {"ID": profile_id, "Contexts": data.get("Contexts") or (before or {}).get("Contexts") or ["*any"],
                   "FilterIDs": data.get("FilterIDs", (before or {}).get("FilterIDs")
                                         or [f"*string:~*req.Account:{service.service_uuid}"]),
                   "Attributes": [{"FilterIDs": a.get("FilterIDs") or [], "Path": a["Path"].strip(),
                                   "Type": a["Type"], "Value": a["Value"]} for a in attributes],
                   "Blocker": bool(data.get("Blocker", (before or {}).get("Blocker", False))),
                   "Weight": data.get("Weight", (before or {}).get("Weight", 10))}
        client.set_attribute_profile(profile)
        after = jsonable(client.get_attribute_profile(profile_id))
    _log_profile_change(service, "cgrates_attributes", profile_id, before, after)
    return {"ID": profile_id, "profile": after}


def save_filter(service, data):
    """Replace the service's filter rules (spec 05 §6.4); an empty list removes the filter."""
    rules = data.get("Rules")
    errors = _check_rows(rules, "Rules", ("Element", "Type"), "Type", FILTER_TYPES, "Values")
    if errors:
        raise ValidationError("Validation failed", errors=errors)
    client = ocs_client()
    filter_id = cgrates.filter_id(service.service_uuid)
    before = get_filter(service)["filter"]
    if not rules:
        if before is not None:
            client.remove_filter(filter_id, missing_ok=True)
        after = None
    else:
        client.set_filter({"ID": filter_id, "Rules": [{"Type": r["Type"], "Element": r["Element"].strip(),
                                                       "Values": [str(v) for v in r.get("Values") or []]}
                                                      for r in rules]})
        after = jsonable(client.get_filter(filter_id))
    _log_profile_change(service, "cgrates_filters", filter_id, before, after)
    return {"ID": filter_id, "filter": after}


def _log_profile_change(service, action, item_id, before, after):
    activity.record("service", service.service_id, action,
                    f"Changed CGRateS {item_id} of service {service.service_id}", customer_id=service.customer_id,
                    changes={item_id: {"before": before, "after": after}})


def active_sessions(service):
    """Only this service's sessions: *string:~*req.Account:{service_uuid} is applied here (spec 05 §6.5)."""
    sessions = ocs_client().get_active_sessions(account=service.service_uuid) or []
    return {"service_uuid": service.service_uuid, "count": len(sessions),
            "sessions": [{"CGRID": s.get("CGRID"), "Account": s.get("Account"), "SetupTime": s.get("SetupTime"),
                          "Usage_seconds": _plain(Decimal(str(s.get("Usage") or 0)) / cgrates.NS_PER_SECOND),
                          "Destination": s.get("Destination"), "Category": s.get("Category"),
                          "session": jsonable(s)}
                         for s in sessions]}
