"""The simulator's in-memory engine state (CONTRACT.md §10.1), guarded by one lock."""
import threading
from dataclasses import dataclass

from .gotime import Clock, parse_timezone


@dataclass
class Config:
    """The CGRateS settings the behaviour depends on; tests change them via Simulator.Configure."""

    default_tenant: str = "cgrates.org"
    timezone: str = "Local"
    scheduler_running: bool = True
    cdrs_conns: bool = True  # the CRM's *cdrlog actions need schedulers.cdrs_conns
    poster_attempts: int = 3


class State:
    """Every store of the engine. Handlers run with `lock` held; *http_post side effects
    are queued in `outbox` and sent by the dispatcher after the lock is released."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self, config=None):
        self.config = config or Config()
        self.clock = Clock(parse_timezone(self.config.timezone))
        self.accounts = {}          # "<tenant>:<account>" -> Account
        self.actions = {}           # ActionsId -> [Action] (global, not per tenant)
        self.action_plans = {}      # plan Id -> ActionPlan (global)
        self.account_plans = {}     # "<tenant>:<account>" -> [plan Id], the account index
        self.tasks = []             # queued *asap (account ID, ActionsId), run on reload
        self.queue = []             # scheduler snapshot, rebuilt on reload
        self.trigger_groups = {}    # GroupID -> [ActionTrigger]
        self.attribute_profiles = {}
        self.filters = {}
        self.threshold_profiles = {}
        self.thresholds = {}        # "<tenant>:<id>" -> {"Hits", "Snooze"}
        self.cdrs = []              # (engine.CDR dict, stored at)
        self.cdr_keys = set()       # "CGRID:RunID" already processed
        self.sessions = []
        self.http_posts = []        # side-effect log
        self.events = []            # *log entries, failures, trigger firings
        self.fail_rules = []        # Simulator.FailNext
        self.requests = []          # methods received, in order
        self.outbox = []

    def tenant(self, tenant):
        """Master behaviour: an empty Tenant means general.default_tenant."""
        return tenant or self.config.default_tenant

    def save_account(self, account):
        account.UpdateTime = self.clock.now()
        self.accounts[account.ID] = account

    def delete_account(self, account_id):
        self.accounts.pop(account_id, None)
        for plan_id in self.account_plans.pop(account_id, []):
            plan = self.action_plans.get(plan_id)
            if plan is not None and plan.AccountIDs:
                plan.AccountIDs.pop(account_id, None)

    def store_cdr(self, cdr):
        """Keep an engine.CDR (as a dict) with the time it was stored, for CreatedAt filters."""
        cdr["OrderID"] = len(self.cdrs) + 1
        self.cdrs.append((cdr, self.clock.now()))
        self.cdr_keys.add(f"{cdr['CGRID']}:{cdr['RunID']}")

    def log_event(self, kind, **details):
        self.events.append({"Kind": kind, "Time": self.clock.now(), **details})
