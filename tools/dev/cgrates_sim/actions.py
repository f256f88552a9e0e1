"""Executing an Actions set: ActionTiming.Execute and the action types (CONTRACT.md §7).

One code path serves ExecuteAction, AddBalance/SetBalance, scheduled plans, *asap tasks,
action triggers and thresholds, as in CGRateS. Balance changes are atomic per account:
the set runs on a copy that is saved only if every action succeeded.
"""
import hashlib
import json
from dataclasses import dataclass, field

from .filters import passes
from .gotime import format_time, parse_time
from .model import Account, Balance, BalanceFilter, new_uuid

ACCOUNT_ACTIONS = frozenset({
    "*topup", "*debit", "*reset_triggers", "*set_recurrent", "*unset_recurrent", "*allow_negative",
    "*deny_negative", "*reset_account", "*topup_reset", "*debit_reset", "*transfer_balance",
    "*reset_counters", "*enable_account", "*disable_account", "*transfer_monetary_default",
    "*publish_account", "*reset_account_cdr", "*set_expiry", "*topup_zero_negative",
    "*set_balance", "*remove_balance"})
CDRLOG_ACTIONS = ("*topup", "*topup_reset", "*debit", "*debit_reset", "*set_balance",
                  "*remove_balance", "*remove_expired", "*transfer_balance")


class ActionError(Exception):
    """An action failed: the set is PARTIALLY_EXECUTED and the account is not saved."""


@dataclass
class Action:
    """engine.Action, one step of an Actions set."""

    Id: str
    ActionType: str
    ExtraParameters: str = ""
    Filters: list = None
    ExpirationString: str = ""
    Weight: float = 0.0
    Balance: BalanceFilter = field(default_factory=BalanceFilter)

    def to_json(self):
        return {"Id": self.Id, "ActionType": self.ActionType, "ExtraParameters": self.ExtraParameters,
                "Filters": self.Filters, "ExpirationString": self.ExpirationString,
                "Weight": self.Weight, "Balance": self.Balance.to_json()}


@dataclass
class Post:
    """A *http_post side effect, sent after the state lock is released."""

    url: str
    body: object
    asynchronous: bool


def run_actions(state, actions, account_ids, extra_data=None):
    """ActionTiming.Execute. Returns False for PARTIALLY_EXECUTED."""
    ordered = sorted(actions, key=lambda a: -a.Weight)
    execution = Execution(state, ordered, extra_data)
    if not account_ids:
        return execution.run_accountless()
    results = [execution.run_on_account(account_id) for account_id in account_ids]
    return all(results)


def known_action_types():
    return {"*" + name[len("act__"):] for name in dir(Execution) if name.startswith("act__")}


class Execution:
    """One run of an Actions set. Handlers get (account, action, balance filter); the
    account is None only for accountless runs, which skip ACCOUNT_ACTIONS."""

    def __init__(self, state, ordered, extra_data=None):
        self.state = state
        self.ordered = ordered
        self.extra_data = extra_data  # the *http_post body of accountless runs
        self.now = state.clock.now()
        self.applied = {}  # id(action) -> value applied, for *cdrlog

    def run_accountless(self):
        for action in self.ordered:
            if action.ActionType in ACCOUNT_ACTIONS:
                continue
            try:
                self.apply(None, action)
            except ActionError as exc:
                self.state.log_event("action failed", action=action.ActionType, error=str(exc))
                return False
        return True

    def run_on_account(self, account_id):
        stored = self.state.accounts.get(account_id)
        account = stored.clone() if stored else Account(ID=account_id)
        removed = False
        for action in self.ordered:
            if action.Filters and not passes(self.state, action.Filters, account.tenant,
                                             {"*req": account.to_json(), "*acnt": account.to_json()}):
                continue
            try:
                removed = self.apply(account, action) or removed
            except ActionError as exc:
                self.state.log_event("action failed", account=account_id, action=action.ActionType,
                                     error=str(exc))
                return False
        if not removed:
            self.state.save_account(account)
        return True

    def apply(self, account, action):
        """Run one action; returns True when the account was removed."""
        handler = getattr(self, "act_" + action.ActionType.replace("*", "_", 1), None)
        if handler is None:
            raise ActionError(f"unsupported action type {action.ActionType}")
        bf = BalanceFilter(**vars(action.Balance))
        if action.ExpirationString:
            try:  # an unparsable ExpiryTime is silently ignored, as in CGRateS
                bf.ExpirationDate = parse_time(action.ExpirationString, self.state.clock.tz, self.now)
                bf.has_expiry = True
            except ValueError:
                pass
        return handler(account, action, bf)

    # balance actions -------------------------------------------------------------------
    def credit(self, account, action, bf, amount, reset=False, reset_negative=False):
        """Account.debitBalanceAction: add to every non-expired match, else create a bucket."""
        dirty = set()
        for balance in account.balances(bf.Type or ""):
            if not balance.expired_at(self.now) and bf.matches(balance):
                if reset or (reset_negative and balance.Value < 0):
                    balance.set_value(0)
                balance.set_value(balance.Value + amount)
                dirty.add(balance.Uuid)
        if not dirty:
            if bf.ID == "*default":
                created = Balance(Uuid=new_uuid(), ID="*default")
                created.set_value(amount)
            else:
                created = bf.create_balance(amount)
            account.append_balance(bf.Type or "", created)
            dirty.add(created.Uuid)
        self.applied[id(action)] = amount
        self.after_balance_change(account, dirty)

    def after_balance_change(self, account, dirty):
        evaluate_triggers(self.state, account, dirty, self.now)
        account.clean_expired(self.now)

    def act__topup(self, account, action, bf):
        self.credit(account, action, bf, bf.Value or 0.0)

    def act__topup_reset(self, account, action, bf):
        self.credit(account, action, bf, bf.Value or 0.0, reset=True)

    def act__topup_zero_negative(self, account, action, bf):
        self.credit(account, action, bf, bf.Value or 0.0, reset_negative=True)

    def act__debit(self, account, action, bf):
        self.credit(account, action, bf, -(bf.Value or 0.0))

    def act__debit_reset(self, account, action, bf):
        self.credit(account, action, bf, -(bf.Value or 0.0), reset=True)

    def act__set_balance(self, account, action, bf):
        """setBalanceAction: one balance by UUID (any type), else by ID, else a new one."""
        live = [b for b in account.all_balances() if not b.expired_at(self.now)]
        if bf.Uuid:
            target = next((b for b in live if b.Uuid == bf.Uuid), None)
            if target is None:
                raise ActionError(f"cannot find balance with uuid: <{bf.Uuid}>")
        else:
            target = next((b for b in account.balances(bf.Type or "")
                           if b.ID == bf.ID and not b.expired_at(self.now)), None)
            if target is None:
                target = Balance(Uuid=new_uuid())
                account.append_balance(bf.Type or "", target)
        bf.modify_balance(target)
        self.applied[id(action)] = target.Value
        self.after_balance_change(account, {target.Uuid})

    def act__remove_balance(self, account, action, bf):
        chain = account.balances(bf.Type or "")
        kept = [b for b in chain if not bf.matches(b)]
        if (account.BalanceMap or {}).get(bf.Type or "") is None or len(kept) == len(chain):
            raise ActionError("NOT_FOUND")
        account.BalanceMap[bf.Type or ""] = kept
        self.applied[id(action)] = bf.Value or 0.0

    def act__set_expiry(self, account, action, bf):
        for balance in account.balances(bf.Type or ""):
            if not balance.expired_at(self.now) and bf.matches(balance, skip_expiry=True):
                balance.ExpirationDate = bf.ExpirationDate

    def act__reset_account(self, account, action, bf):
        for balance_type in account.BalanceMap or {}:
            account.BalanceMap[balance_type] = [Balance(Uuid="")]
        for trigger in account.ActionTriggers or []:
            trigger.Executed = False

    # account flags and triggers --------------------------------------------------------
    def act__enable_account(self, account, action, bf):
        account.Disabled = False

    def act__disable_account(self, account, action, bf):
        account.Disabled = True

    def act__allow_negative(self, account, action, bf):
        account.AllowNegative = True

    def act__deny_negative(self, account, action, bf):
        account.AllowNegative = False

    def _matching_triggers(self, account, bf):
        return [t for t in account.ActionTriggers or []
                if (not bf.Type or t.Balance.Type == bf.Type) and (not bf.ID or t.Balance.ID == bf.ID)]

    def act__reset_triggers(self, account, action, bf):
        for trigger in self._matching_triggers(account, bf):
            trigger.Executed = False
        evaluate_triggers(self.state, account, set(), self.now)

    def act__set_recurrent(self, account, action, bf):
        for trigger in self._matching_triggers(account, bf):
            trigger.Recurrent = True

    def act__unset_recurrent(self, account, action, bf):
        for trigger in self._matching_triggers(account, bf):
            trigger.Recurrent = False

    def act__remove_account(self, account, action, bf):
        self.state.delete_account(account.ID)
        return True

    def act__publish_account(self, account, action, bf):
        """No ThresholdS/StatS connection is configured on rals, so nothing is published."""

    def act__reset_counters(self, account, action, bf):
        """Unit counters are not simulated (they stay null), so there is nothing to reset."""

    def act__reset_threshold(self, account, action, bf):
        self.state.thresholds.pop(action.ExtraParameters, None)

    # side effects ----------------------------------------------------------------------
    def _body(self, account):
        return account.to_json() if account is not None else self.extra_data

    def act__log(self, account, action, bf):
        self.state.log_event("*log", body=self._body(account))

    def act__http_post(self, account, action, bf):
        self.state.outbox.append(Post(action.ExtraParameters, self._body(account), asynchronous=False))

    def act__http_post_async(self, account, action, bf):
        self.state.outbox.append(Post(action.ExtraParameters, self._body(account), asynchronous=True))

    def act__cdrlog(self, account, action, bf):
        """One CDR per balance-changing action of the set; needs schedulers.cdrs_conns."""
        if not self.state.config.cdrs_conns:
            raise ActionError("No connection with CDR Server")
        if account is None:
            return
        try:
            template = json.loads(action.ExtraParameters) if action.ExtraParameters else {}
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        for logged in self.ordered:
            if logged.ActionType in CDRLOG_ACTIONS:
                self.state.store_cdr(cdrlog_record(account, logged, self.applied.get(id(logged), 0.0),
                                                   template, self.now))


def cdrlog_record(account, action, value, template, now):
    origin_id = new_uuid()
    cdr = {"CGRID": hashlib.sha1((origin_id + "127.0.0.1").encode()).hexdigest(),
           "RunID": action.ActionType, "OrderID": 0, "OriginHost": "127.0.0.1", "Source": "*cdrlog",
           "OriginID": origin_id, "ToR": action.Balance.Type or "", "RequestType": "*none",
           "Tenant": account.tenant, "Category": "", "Account": account.name, "Subject": account.name,
           "Destination": "", "SetupTime": now, "AnswerTime": now, "Usage": 1, "ExtraFields": {},
           "ExtraInfo": "", "Partial": False, "PreRated": True, "CostSource": "", "Cost": abs(value),
           "CostDetails": None}
    if action.ActionType == "*remove_balance":
        cdr["ExtraFields"]["BalanceID"] = action.Balance.ID or ""
    for key, item in template.items():
        if key in cdr and key != "ExtraFields":
            cdr[key] = item
        else:
            cdr["ExtraFields"][key] = str(item)
    return cdr


def evaluate_triggers(state, account, dirty, now):
    """Account.ExecuteActionTriggers for balance thresholds (§6.12); counters are not simulated."""
    for trigger in sorted(account.ActionTriggers or [], key=lambda t: -t.Weight):
        if trigger.Executed or not trigger.active_at(now) or "counter" in trigger.ThresholdType:
            continue
        for balance in account.balances(trigger.Balance.Type or ""):
            if balance.Uuid not in dirty and trigger.ThresholdType != "*balance_expired":
                continue
            if not trigger.Balance.matches(balance):
                continue
            if _threshold_reached(trigger, balance, now):
                fire_trigger(state, account, trigger, now)
                break


def _threshold_reached(trigger, balance, now):
    if trigger.ThresholdType == "*min_balance":
        return balance.Value <= trigger.ThresholdValue
    if trigger.ThresholdType == "*max_balance":
        return balance.Value >= trigger.ThresholdValue
    return trigger.ThresholdType == "*balance_expired" and balance.expired_at(now)


def fire_trigger(state, account, trigger, now):
    """ActionTrigger.Execute: run its Actions on this account; a disabled account refuses."""
    if account.Disabled:
        state.log_event("trigger refused", error=f"User {account.ID} is disabled and there are triggers in action!")
        return
    slept = trigger.LastExecutionTime is None or \
        (now - trigger.LastExecutionTime).total_seconds() * 1e9 >= trigger.MinSleep
    if trigger.Recurrent and not slept:
        return
    trigger.Executed, trigger.LastExecutionTime = True, now
    execution = Execution(state, sorted(state.actions.get(trigger.ActionsID, []), key=lambda a: -a.Weight))
    failed = not execution.ordered
    for action in execution.ordered:
        try:
            execution.apply(account, action)
        except ActionError as exc:
            state.log_event("trigger action failed", account=account.ID, error=str(exc))
            failed = True
            break
    if failed or trigger.Recurrent:
        trigger.Executed = False
    state.log_event("trigger fired", account=account.ID, trigger=trigger.UniqueID,
                    time=format_time(now))
