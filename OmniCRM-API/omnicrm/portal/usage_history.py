"""Usage over time for the portal's chart (spec 07 §6.5): the service's CDRs from CGRateS summed per day and type,
in the units the portal shows (data GB, voice minutes, SMS messages, monetary cost)."""
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from omnicrm.db import utcnow

GIB = Decimal(1024 ** 3)
NS_PER_MINUTE = Decimal(60 * 10 ** 9)
TYPES = {"*data": "DATA", "*voice": "VOICE", "*sms": "SMS", "*monetary": "MONETARY"}
UNITS = {"DATA": "GB", "VOICE": "min", "SMS": "SMS", "MONETARY": "credit"}
MAX_CDRS = 5000


def _amount(label, usage):
    value = Decimal(str(usage or 0))
    if label == "DATA":
        return value / GIB
    if label == "VOICE":
        return value / NS_PER_MINUTE
    return value


def _day(answer_time):
    if not answer_time:
        return None
    try:
        moment = datetime.fromisoformat(str(answer_time).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.date()


def usage_history(service, days=30, now=None):
    """{"days": [...], "series": {TYPE: [per day]}, "units": {...}} for the last `days` days (today included)."""
    from omnicrm.ocs.service import ocs_client
    now = now or utcnow()
    first = (now - timedelta(days=days - 1)).date()
    start = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
    cdrs = ocs_client().get_cdrs(service.service_uuid, answer_time_start=start, limit=MAX_CDRS) or []
    totals = defaultdict(lambda: defaultdict(Decimal))
    for cdr in cdrs:
        label = TYPES.get(cdr.get("ToR"))
        day = _day(cdr.get("AnswerTime") or cdr.get("SetupTime"))
        if label is None or day is None or day < first:
            continue
        totals[label][day] += _amount(label, cdr.get("Usage"))
    dates = [first + timedelta(days=n) for n in range(days)]
    series = {label: [float(round(totals[label].get(d, Decimal(0)), 3)) for d in dates] for label in sorted(totals)}
    return {"service_id": service.service_id, "days": [d.isoformat() for d in dates], "series": series,
            "units": {label: UNITS[label] for label in series}, "cdr_count": len(cdrs)}
