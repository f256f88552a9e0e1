"""Low balance and expired balance e-mails (spec 06 §13.3 types 9 and 10; spec 02 §6.4 "threshold-based
notifications"): CGRateS ActionTriggers (`*min_balance`, `*balance_expired`) run an Actions set whose `*http_post`
calls `POST /crm/ocs/balance_low` or `/crm/ocs/balance_expired` with the account as JSON (`{"ID": "<tenant>:<service
uuid>", "BalanceMap": ..., "ActionTriggers": [...]}`). The CRM finds the service, reads the trigger that fired
(balance type, threshold) and the balance, and e-mails the customer's contacts (billing, else primary).

CGRateS cannot send a token, so these callbacks are accepted like the auto-renewal ones: from a whitelisted address
(`ip_whitelist` with the `OCS Callback` role) or with an API key holding `create_communication`.
"""
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.billing.mail import billing_recipients
from omnicrm.communications.service import send_template_email
from omnicrm.customers.models import Customer
from omnicrm.errors import NotFound, ValidationError
from omnicrm.integrations import cgrates
from omnicrm.services.models import Service

LOW_TEMPLATE = "api_crmCommunicationsBalanceLow"
EXPIRED_TEMPLATE = "api_crmCommunicationsBalanceExpired"
THRESHOLD_TYPES = {"low": "*min_balance", "expired": "*balance_expired"}
TYPE_NAMES = {"*data": "Data", "*voice": "Voice", "*sms": "SMS", "*monetary": "Monetary", "*mms": "MMS"}


def service_of(account):
    if not isinstance(account, dict) or not isinstance(account.get("ID"), str) or ":" not in account["ID"]:
        raise ValidationError("Not a CGRateS account", errors={"ID": "must be <tenant>:<account>"})
    uuid = account["ID"].split(":", 1)[1]
    service = db.session.scalar(select(Service).where(Service.service_uuid == uuid))
    if service is None:
        raise NotFound(f"No service for OCS account {uuid[:100]}")
    return service


def _fired_trigger(account, kind):
    """The trigger of this kind that fired: executed ones first, the most recent execution first."""
    triggers = [t for t in account.get("ActionTriggers") or [] if isinstance(t, dict)
                and t.get("ThresholdType") == THRESHOLD_TYPES[kind]]
    triggers.sort(key=lambda t: (bool(t.get("Executed")), str(t.get("LastExecutionTime") or "")), reverse=True)
    return triggers[0] if triggers else {}


def _balances(account, balance_type, balance_id=None):
    chain = (account.get("BalanceMap") or {}).get(balance_type) or []
    return [b for b in chain if isinstance(b, dict) and (not balance_id or b.get("ID") == balance_id)]


def _text(balance_type, raw):
    from omnicrm.ocs.service import _amount_text
    return _amount_text(balance_type, cgrates.human_value(balance_type, Decimal(str(raw or 0))))


def _links(service):
    base = current_app.config["CRM"]["crm"]["base_url"]
    return f"{base}/services/{service.service_id}"


def notify(kind, account, link=None):
    """E-mail the low balance ("low") or expired balance ("expired") alert for the account's service, with `link`
    (default: the service's page) to top up or renew; returns the Communication row (None when the customer has
    nobody to write to)."""
    service = service_of(account)
    trigger = _fired_trigger(account, kind)
    trigger_balance = trigger.get("Balance") or {}
    balance_type = trigger_balance.get("Type") or next(iter(sorted(account.get("BalanceMap") or {})), "*monetary")
    balances = _balances(account, balance_type, trigger_balance.get("ID"))
    customer = db.session.get(Customer, service.customer_id)
    to = billing_recipients(service.customer_id)
    if not to:
        return None
    common = {"customer_name": customer.customer_name, "service_name": service.service_name,
              "balance_type": TYPE_NAMES.get(balance_type, balance_type.lstrip("*").title())}
    if kind == "low":
        variables = {**common, "current_balance": _text(balance_type, sum(Decimal(str(b.get("Value") or 0))
                                                                          for b in balances)),
                     "threshold": _text(balance_type, trigger.get("ThresholdValue")),
                     "topup_url": link or _links(service)}
        template = LOW_TEMPLATE
    else:
        expiries = sorted(str(b["ExpirationDate"]) for b in balances
                          if b.get("ExpirationDate") and not str(b["ExpirationDate"]).startswith("0001-"))
        expiry = expiries[0][:10] if expiries else ""
        variables = {**common, "expiry_date": expiry, "renewal_url": link or _links(service)}
        template = EXPIRED_TEMPLATE
    row = send_template_email(template, to, variables, customer_id=service.customer_id, raise_errors=False)
    activity.record("service", service.service_id, f"balance_{kind}",
                    f"{'Low' if kind == 'low' else 'Expired'} {variables['balance_type']} balance e-mail "
                    f"({row.status}) to {row.to_email}", customer_id=service.customer_id)
    db.session.commit()
    return row
