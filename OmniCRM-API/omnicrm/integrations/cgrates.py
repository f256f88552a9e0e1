"""CGRateS (OCS) JSON-RPC client: the one place where OmniCRM talks to the charging engine.

It speaks the protocol of /work/shared/cgrates/CONTRACT.md: POST http://<ocs.cgrates>/jsonrpc,
`{"method", "params": [<one object>], "id"}`, and a reply that is always HTTP 200 with an
`error` *string* on failure. Units are CGRateS units: *voice in nanoseconds, *data in bytes,
*sms as a count, *monetary in currency units. The pure helpers at the end turn them into human
units for the services domain. Money is always Decimal (the JSON is parsed with Decimal floats).
"""
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import requests

from omnicrm.errors import DependencyError, DependencyUnavailable, NotFound
from omnicrm.ops.metrics import observe_ocs_call

log = logging.getLogger(__name__)

DEFAULT_TENANT = "cgrates.org"
BYTES_PER_GB = 1024**3  # spec 05 §4.9: GB = bytes / 1024³
NS_PER_SECOND = 10**9
NS_PER_MINUTE = 60 * NS_PER_SECOND
ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time: "never expires"
UNITS = {"*data": "GB", "*voice": "min", "*sms": "SMS", "*mms": "MMS", "*monetary": "", "*generic": "units"}


class OcsUnavailable(DependencyUnavailable):
    """CGRateS could not be reached (refused, reset, timed out): 503."""


class OcsNotFound(NotFound):
    """CGRateS answered NOT_FOUND: 404."""


class OcsError(DependencyError):
    """CGRateS answered with any other error (or an unusable reply): 502."""


def attribute_profile_id(service_uuid):
    """The per-service AttributeProfile ID the CRM uses (spec 05 §6.3)."""
    return f"ATTR_ACCOUNT_{service_uuid}"


def filter_id(service_uuid):
    """The per-service Filter ID the CRM uses (spec 05 §6.4)."""
    return f"FLTR_ACCOUNT_{service_uuid}"


def make_action(identifier, *, balance_type="", units=0, balance_id="", expiry="", weight=0,
                balance_weight=None, extra_parameters="", destination_ids=""):
    """One V1 action for set_actions (APIerSv1.SetActions: Units is a number, §6.6).

    Without balance_id an action matches every non-expired bucket of its type, so give one
    whenever the action should top up a single named bucket.
    """
    action = {"Identifier": identifier, "BalanceType": balance_type, "BalanceId": balance_id,
              "Units": _number(units), "ExpiryTime": _expiry(expiry), "Weight": weight,
              "ExtraParameters": extra_parameters, "DestinationIds": _joined(destination_ids)}
    if balance_weight is not None:
        action["BalanceWeight"] = balance_weight
    return action


def make_timing(actions_id, time="*monthly", weight=10):
    """One ActionPlan timing. "*monthly" runs on today's day-of-month at the current time of
    day (anchored when the plan is created); "*asap" runs once per attached account (§6.8)."""
    return {"ActionsId": actions_id, "Time": time, "Weight": weight}


class CGRateSClient:
    """A thread-safe client for one CGRateS engine.

    `endpoint` is "host:port" exactly like the config key ocs.cgrates. Reads (Get*, Ping) are
    retried on connection errors and timeouts; writes never are, because a write whose reply was
    lost may already have been applied (a retried AddBalance would credit twice).
    """

    def __init__(self, endpoint, timeout=5.0, retries=2, tenant=DEFAULT_TENANT, backoff=0.1):
        self.endpoint = endpoint
        self.url = f"http://{endpoint}/jsonrpc"
        self.timeout = timeout
        self.retries = retries
        self.tenant = tenant
        self.backoff = backoff
        self._ids = itertools.count(1)
        self._local = threading.local()

    # transport ---------------------------------------------------------------------------
    def call(self, method, params=None):
        """Call `method` with one argument object (dict), or a raw params list; return `result`."""
        if params is None:
            params = [{}]
        elif not isinstance(params, list):
            params = [params]
        request_id = next(self._ids)
        body = json.dumps({"method": method, "params": params, "id": request_id}, default=_json_default)
        started, failure = time.perf_counter(), None
        try:
            return self._send(method, request_id, body)
        except OcsUnavailable:
            failure = "unreachable"
            raise
        except OcsError:
            failure = "error"
            raise
        finally:
            observe_ocs_call(method, time.perf_counter() - started, failure)

    def _send(self, method, request_id, body):
        attempts = 1 + (self.retries if _is_read(method) else 0)
        for attempt in range(attempts):
            try:
                response = self._session().post(self.url, data=body, timeout=self.timeout,
                                                headers={"Content-Type": "application/json"})
                break
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt + 1 == attempts:
                    raise OcsUnavailable(f"OCS (CGRateS) unreachable at {self.endpoint}") from exc
                log.warning("CGRateS %s failed (%s), retrying", method, exc.__class__.__name__)
                time.sleep(self.backoff * 2**attempt)
        return self._result(method, request_id, response)

    def _session(self):
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _result(self, method, request_id, response):
        if response.status_code != 200:
            raise OcsError(f"OCS (CGRateS) answered HTTP {response.status_code} to {method}")
        if not response.content.strip():
            raise OcsError(f"OCS (CGRateS) sent an empty reply to {method} (request not decodable)")
        try:
            reply = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise OcsError(f"OCS (CGRateS) sent a reply to {method} that is not JSON") from None
        if not isinstance(reply, dict) or reply.get("id") != request_id or "result" not in reply:
            raise OcsError(f"OCS (CGRateS) sent a malformed JSON-RPC reply to {method}")
        error = reply.get("error")
        if error is None:
            return reply["result"]
        if error == "NOT_FOUND":
            raise OcsNotFound(f"OCS (CGRateS): not found ({method})")
        exc = OcsError(f"OCS (CGRateS) error on {method}: {error}")
        exc.ocs_error = error
        raise exc

    def _tenant(self, tenant):
        return tenant or self.tenant

    def ping(self):
        """Liveness check; returns "Pong"."""
        return self.call("APIerSv1.Ping")

    # accounts ----------------------------------------------------------------------------
    def get_account(self, account, tenant=None):
        """The account as ApierV2.GetAccount returns it (§4.7); OcsNotFound when absent."""
        return self.call("APIerSv2.GetAccount", {"Tenant": self._tenant(tenant), "Account": account})

    def set_account(self, account, *, tenant=None, allow_negative=None, disabled=None, action_plan_ids=None,
                    action_plans_overwrite=False, action_trigger_ids=None, action_trigger_overwrite=False,
                    reload_scheduler=True):
        """Create or update an account; existing balances are kept.

        Only the flags that are given change. action_plans_overwrite=True detaches every plan
        not listed (§8.8), so it defaults to False.
        """
        options = {k: v for k, v in (("AllowNegative", allow_negative), ("Disabled", disabled)) if v is not None}
        params = {"Tenant": self._tenant(tenant), "Account": account, "ExtraOptions": options,
                  "ActionPlanIDs": list(action_plan_ids or []), "ActionPlansOverwrite": action_plans_overwrite,
                  "ActionTriggerIDs": list(action_trigger_ids or []),
                  "ActionTriggerOverwrite": action_trigger_overwrite, "ReloadScheduler": reload_scheduler}
        self.call("APIerSv2.SetAccount", params)

    def disable_account(self, account, tenant=None):
        """Suspension: charging stops; balances and scheduled plans are kept (§5)."""
        self.set_account(account, tenant=tenant, disabled=True)

    def enable_account(self, account, tenant=None):
        self.set_account(account, tenant=tenant, disabled=False)

    def remove_account(self, account, tenant=None, reload_scheduler=True):
        """Delete the account (OK when absent). RemoveAccount does not reload the scheduler, so
        a queued plan would re-create the account; reload_scheduler=True reloads it (§8.9)."""
        self.call("APIerSv1.RemoveAccount", {"Tenant": self._tenant(tenant), "Account": account})
        if reload_scheduler:
            self.reload_scheduler()

    # balances ----------------------------------------------------------------------------
    def get_balances(self, account, tenant=None):
        """The BalanceMap ({type: [bucket, ...]}), {} for an account without balances."""
        return self.get_account(account, tenant).get("BalanceMap") or {}

    def get_balance_summary(self, account, tenant=None, now=None):
        """summarize_balances() of the account's live balances."""
        return summarize_balances(self.get_balances(account, tenant), now)

    def add_balance(self, account, balance_type, value, *, balance_id=None, expiry=None, weight=None,
                    destination_ids=None, categories=None, blocker=None, disabled=None, overwrite=False,
                    tenant=None):
        """Add `value` (CGRateS units) to the bucket `balance_id`, or create it (§6.4).

        Without balance_id every top-up creates a new bucket. The expiry of an existing bucket is
        not extended. overwrite=True resets the matched buckets to 0 first.
        """
        if Decimal(str(value)) < 0:
            raise ValueError("add_balance needs a non-negative value; use debit_balance to subtract")
        balance = _balance_map(balance_id=balance_id, value=value, expiry=expiry, weight=weight,
                               destination_ids=destination_ids, categories=categories, blocker=blocker,
                               disabled=disabled)
        self.call("APIerSv1.AddBalance", {"Tenant": self._tenant(tenant), "Account": account,
                                          "BalanceType": balance_type, "Balance": balance, "Overwrite": overwrite})

    def debit_balance(self, account, balance_type, value, *, balance_id=None, tenant=None):
        """Subtract `value` from the matching buckets (a negative bucket is created if none match)."""
        self.call("APIerSv1.DebitBalance", {"Tenant": self._tenant(tenant), "Account": account,
                                            "BalanceType": balance_type,
                                            "Balance": _balance_map(balance_id=balance_id, value=abs(value))})

    def set_balance(self, account, balance_type, *, balance_id=None, balance_uuid=None, value=None, expiry=None,
                    weight=None, destination_ids=None, categories=None, blocker=None, disabled=None, tenant=None):
        """Set (not add) the given fields of one bucket, found by UUID or ID, or create it (§6.5)."""
        if not balance_id and not balance_uuid:
            raise ValueError("set_balance needs balance_id or balance_uuid")
        balance = _balance_map(balance_id=balance_id, balance_uuid=balance_uuid, value=value, expiry=expiry,
                               weight=weight, destination_ids=destination_ids, categories=categories,
                               blocker=blocker, disabled=disabled)
        self.call("APIerSv1.SetBalance", {"Tenant": self._tenant(tenant), "Account": account,
                                          "BalanceType": balance_type, "Balance": balance})

    def remove_balances(self, account, balance_type, *, balance_id=None, balance_uuid=None, tenant=None):
        """Remove the matching buckets (all of the type when no ID/UUID is given)."""
        balance = _balance_map(balance_id=balance_id, balance_uuid=balance_uuid)
        self.call("APIerSv1.RemoveBalances", {"Tenant": self._tenant(tenant), "Account": account,
                                              "BalanceType": balance_type, "Balance": balance})

    # actions and triggers ----------------------------------------------------------------
    def set_actions(self, actions_id, actions, overwrite=False):
        """Store an Actions set (V1 form, see make_action). Actions IDs are global."""
        self.call("APIerSv1.SetActions", {"ActionsId": actions_id, "Overwrite": overwrite, "Actions": actions})

    def get_actions(self, actions_id):
        try:
            return self.call("APIerSv1.GetActions", [actions_id])
        except OcsError as exc:
            if getattr(exc, "ocs_error", "") == "SERVER_ERROR: NOT_FOUND":
                raise OcsNotFound(f"OCS (CGRateS): Actions {actions_id} not found") from None
            raise

    def remove_actions(self, actions_ids):
        self.call("APIerSv1.RemoveActions", {"ActionIDs": list(actions_ids)})

    def execute_action(self, account, actions_id, tenant=None):
        """Run a stored Actions set on the account now (the account is created if missing)."""
        self.call("APIerSv1.ExecuteAction", {"Tenant": self._tenant(tenant), "Account": account,
                                             "ActionsId": actions_id})

    def reset_action_triggers(self, account, tenant=None, executed=False):
        """Re-arm the account's action triggers (after a top-up, spec 03 §12.9)."""
        self.call("APIerSv1.ResetAccountActionTriggers", {"Tenant": self._tenant(tenant), "Account": account,
                                                          "Executed": executed})

    # action plans and the scheduler ------------------------------------------------------
    def set_action_plan(self, plan_id, timings, overwrite=False, reload_scheduler=True):
        """Store an ActionPlan (see make_timing). Overwriting a plan detaches its accounts."""
        self.call("APIerSv1.SetActionPlan", {"Id": plan_id, "ActionPlan": timings, "Overwrite": overwrite,
                                             "ReloadScheduler": reload_scheduler})

    def attach_action_plan(self, account, plan_id, tenant=None):
        """Attach one more plan to the account, keeping its other plans."""
        self.set_account(account, tenant=tenant, action_plan_ids=[plan_id])

    def get_action_plan(self, plan_id):
        """One ActionPlan object (Id, AccountIDs, ActionTimings); OcsNotFound when absent."""
        return self.call("APIerSv1.GetActionPlan", {"ID": plan_id})[0]

    def get_action_plans(self):
        return self.call("APIerSv1.GetActionPlan", {"ID": "*"}) or []

    def get_action_plan_ids(self):
        try:
            return self.call("APIerSv1.GetActionPlanIDs", {})
        except OcsNotFound:
            return []

    def get_account_action_plans(self, account, tenant=None):
        """[{ActionPlanId, Uuid, ActionsId, NextExecTime}] of the account's plans ([] if none)."""
        return self.call("APIerSv1.GetAccountActionPlan", {"Tenant": self._tenant(tenant), "Account": account})

    def remove_action_plan(self, plan_id, reload_scheduler=True):
        """Cancel a plan (OK when absent), then reload the scheduler so it stops firing (§8.9)."""
        self.call("APIerSv1.RemoveActionPlan", {"ID": plan_id})
        if reload_scheduler:
            self.reload_scheduler()

    def remove_action_plans_with_prefix(self, prefix):
        """CGRateS has no wildcard removal (spec 06 writes "ServiceID_<uuid>_*"): list and remove.
        Returns the removed IDs."""
        removed = [plan_id for plan_id in self.get_action_plan_ids() if plan_id.startswith(prefix)]
        for plan_id in removed:
            self.remove_action_plan(plan_id, reload_scheduler=False)
        if removed:
            self.reload_scheduler()
        return removed

    def reload_scheduler(self):
        self.call("SchedulerSv1.Reload", {})

    def get_scheduled_actions(self, *, account=None, tenant=None, time_start=None, time_end=None,
                              limit=None, offset=None):
        """The scheduler queue: [{NextRunTime, Accounts, ActionPlanID, ActionTimingUUID, ActionsID}],
        [] when empty. Filtering by account also filters by this client's tenant."""
        params = {}
        if account is not None:
            params.update(Account=account, Tenant=self._tenant(tenant))
        elif tenant is not None:
            params["Tenant"] = tenant
        for key, value in (("TimeStart", time_start), ("TimeEnd", time_end)):
            if value is not None:
                params[key] = _rfc3339(value)
        for key, value in (("Limit", limit), ("Offset", offset)):
            if value is not None:
                params[key] = value
        try:
            return self.call("APIerSv1.GetScheduledActions", params)
        except OcsNotFound:
            return []

    # attribute profiles and filters ------------------------------------------------------
    def get_attribute_profile(self, profile_id, tenant=None):
        return self.call("APIerSv1.GetAttributeProfile", {"Tenant": self._tenant(tenant), "ID": profile_id})

    def set_attribute_profile(self, profile, tenant=None):
        """Create or replace; Attributes use the v1 form [{"Path", "Type", "Value": [{"Rules"}]}]."""
        self.call("APIerSv1.SetAttributeProfile", {**profile, "Tenant": self._tenant(tenant or profile.get("Tenant"))})

    def remove_attribute_profile(self, profile_id, tenant=None, missing_ok=False):
        self._remove("APIerSv1.RemoveAttributeProfile", profile_id, tenant, missing_ok)

    def get_filter(self, profile_id, tenant=None):
        return self.call("APIerSv1.GetFilter", {"Tenant": self._tenant(tenant), "ID": profile_id})

    def set_filter(self, filter_profile, tenant=None):
        """Create or replace; Rules are [{"Type", "Element", "Values"}]."""
        self.call("APIerSv1.SetFilter", {**filter_profile,
                                         "Tenant": self._tenant(tenant or filter_profile.get("Tenant"))})

    def remove_filter(self, profile_id, tenant=None, missing_ok=False):
        self._remove("APIerSv1.RemoveFilter", profile_id, tenant, missing_ok)

    def _remove(self, method, item_id, tenant, missing_ok):
        try:
            self.call(method, {"Tenant": self._tenant(tenant), "ID": item_id})
        except OcsNotFound:
            if not missing_ok:
                raise

    # sessions and CDRs -------------------------------------------------------------------
    def get_active_sessions(self, account=None, tenant=None, limit=None):
        """Active sessions, scoped to one account with *string:~*req.Account (spec 05 §6.5)."""
        params = {"Tenant": self._tenant(tenant),
                  "Filters": [f"*string:~*req.Account:{account}"] if account else [], "Limit": limit}
        try:
            return self.call("SessionSv1.GetActiveSessions", params)
        except OcsNotFound:
            return []

    def process_external_cdr(self, cdr, tenant=None):
        """Post a usage record; Usage is a Go duration ("150s") or a bare number of units."""
        self.call("CDRsV1.ProcessExternalCDR", {**cdr, "Tenant": self._tenant(tenant or cdr.get("Tenant"))})

    def get_cdrs(self, account=None, *, tenant=None, tors=None, answer_time_start=None, answer_time_end=None,
                 limit=None, offset=None, order_by=None):
        """CDRs (Usage in ns/units), [] when none match (CGRateS says SERVER_ERROR: NOT_FOUND)."""
        params = {"Tenants": [self._tenant(tenant)], "Limit": limit, "Offset": offset}
        optional = (("Accounts", [account] if account else None), ("ToRs", tors), ("OrderBy", order_by),
                    ("AnswerTimeStart", answer_time_start and _rfc3339(answer_time_start)),
                    ("AnswerTimeEnd", answer_time_end and _rfc3339(answer_time_end)))
        params.update({key: value for key, value in optional if value})
        try:
            return self.call("CDRsV1.GetCDRs", params)
        except OcsError as exc:
            if getattr(exc, "ocs_error", "") == "SERVER_ERROR: NOT_FOUND":
                return []
            raise


def _is_read(method):
    name = method.rsplit(".", 1)[-1]
    return name.startswith("Get") or name == "Ping"


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return _rfc3339(value)
    raise TypeError(f"cannot send {type(value).__name__} to CGRateS")


def _number(value):
    """CGRateS decodes numbers into float64; Decimal is sent as a JSON number, never a string."""
    return float(value) if isinstance(value, Decimal) else value


def _rfc3339(moment):
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        raise ValueError("CGRateS times must be timezone-aware")
    return moment.isoformat()


def _expiry(expiry):
    """A CGRateS time string ("+720h", "*month_end", "") or an aware datetime."""
    return "" if expiry is None else _rfc3339(expiry)


def _joined(values):
    """StringMap fields are ';'-separated strings; a JSON array would be stored as text (§4.4)."""
    return values if isinstance(values, str) else ";".join(values or ())


def _balance_map(*, balance_id=None, balance_uuid=None, value=None, expiry=None, weight=None,
                 destination_ids=None, categories=None, blocker=None, disabled=None):
    """The case-sensitive Balance map of AddBalance/SetBalance/RemoveBalances (§4.4)."""
    fields = {"ID": balance_id, "UUID": balance_uuid, "Value": _number(value),
              "ExpiryTime": None if expiry is None else _expiry(expiry), "Weight": _number(weight),
              "DestinationIDs": None if destination_ids is None else _joined(destination_ids),
              "Categories": None if categories is None else _joined(categories),
              "Blocker": blocker, "Disabled": disabled}
    return {key: value for key, value in fields.items() if value is not None}


# human units ---------------------------------------------------------------------------------
def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def bytes_to_gb(value):
    """*data bytes -> GB (÷1024³, the CRM's normative conversion): 13421772800 -> 12.5."""
    return _decimal(value) / BYTES_PER_GB


def gb_to_bytes(gb):
    return int(_decimal(gb) * BYTES_PER_GB)


def ns_to_minutes(value):
    """*voice nanoseconds -> minutes, to 2 decimals (a second is 1/60 minute, not a finite decimal)."""
    return (_decimal(value) / NS_PER_MINUTE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def minutes_to_ns(minutes):
    return int(_decimal(minutes) * NS_PER_MINUTE)


def seconds_to_ns(seconds):
    """CGRateS voice units are nanoseconds: 3600 s must be sent as 3600000000000 (§4.3)."""
    return int(_decimal(seconds) * NS_PER_SECOND)


def to_money(value):
    """*monetary values are currency units of the tariff plan; keep them exact as Decimal."""
    return _decimal(value)


def human_value(balance_type, value):
    """A raw CGRateS balance value in the unit of UNITS[balance_type]."""
    if balance_type == "*data":
        return bytes_to_gb(value)
    if balance_type == "*voice":
        return ns_to_minutes(value)
    if balance_type == "*monetary":
        return to_money(value)
    return _decimal(value)


def parse_time(text):
    """A CGRateS time (RFC3339 with up to 9 fractional digits) as an aware datetime; None for
    Go's zero time, which means "never expires"."""
    if not text or text == ZERO_TIME:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class BalanceBucket:
    uuid: str
    id: str
    balance_type: str
    raw_value: Decimal
    value: Decimal  # in the unit of UNITS[balance_type]
    expires_at: datetime  # None = never
    expired: bool
    weight: Decimal
    disabled: bool
    blocker: bool

    @property
    def usable(self):
        return not (self.expired or self.disabled)


@dataclass(frozen=True)
class BalanceTypeSummary:
    balance_type: str
    unit: str
    buckets: tuple  # consumption order: highest Weight first
    raw_total: Decimal  # usable buckets only
    total: Decimal  # raw_total in the human unit


def summarize_balances(balance_map, now=None):
    """Group a BalanceMap (or a whole account) by type into buckets and totals.

    Buckets are listed in the order CGRateS consumes them (highest Weight first, then soonest
    expiry). Totals count only usable buckets: an expired or disabled bucket is shown but its
    value cannot be spent (GetAccount does not prune expired buckets, §5).
    """
    if balance_map and "BalanceMap" in balance_map:
        balance_map = balance_map["BalanceMap"]
    now = now or datetime.now(timezone.utc)
    summary = {}
    for balance_type, chain in sorted((balance_map or {}).items()):
        buckets = []
        for balance in chain:
            expires_at = parse_time(balance.get("ExpirationDate"))
            raw = _decimal(balance.get("Value", 0))
            buckets.append(BalanceBucket(
                uuid=balance.get("Uuid", ""), id=balance.get("ID", ""), balance_type=balance_type,
                raw_value=raw, value=human_value(balance_type, raw), expires_at=expires_at,
                expired=expires_at is not None and expires_at < now, weight=_decimal(balance.get("Weight", 0)),
                disabled=bool(balance.get("Disabled")), blocker=bool(balance.get("Blocker"))))
        buckets.sort(key=lambda b: (-b.weight, b.expires_at is None, b.expires_at or now))
        raw_total = sum((b.raw_value for b in buckets if b.usable), Decimal(0))
        summary[balance_type] = BalanceTypeSummary(balance_type, UNITS.get(balance_type, "units"), tuple(buckets),
                                                   raw_total, human_value(balance_type, raw_total))
    return summary
