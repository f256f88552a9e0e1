"""Accounts, balances and balance filters: engine.Account, engine.Balance, engine.BalanceFilter.

JSON layouts follow CONTRACT.md §4 (Go field order, null vs {} maps). Matching follows
Balance.MatchFilter (§6.4 step 2) and ModifyBalance/CreateBalance (§6.4, §6.5).
"""
import copy
import json
import uuid
from dataclasses import dataclass, field, fields

from .convert import as_bool, as_float, as_string, parse_string_map, round_value
from .gojson import sorted_map
from .gotime import GoError, format_time, parse_time


def new_uuid():
    return str(uuid.uuid4())


@dataclass
class Balance:
    Uuid: str
    ID: str = ""
    Value: float = 0.0
    ExpirationDate: object = None  # datetime, or None for Go's zero time (never expires)
    Weight: float = 0.0
    DestinationIDs: dict = None
    RatingSubject: str = ""
    Categories: dict = None
    SharedGroups: dict = None
    Timings: list = None
    TimingIDs: dict = None
    Disabled: bool = False
    Factors: dict = None
    Blocker: bool = False

    def expired_at(self, moment):
        return self.ExpirationDate is not None and self.ExpirationDate < moment

    def set_value(self, value):
        self.Value = round_value(value)

    def to_json(self):
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("DestinationIDs", "Categories", "SharedGroups", "TimingIDs", "Factors"):
            data[key] = sorted_map(data[key])
        data["ExpirationDate"] = format_time(self.ExpirationDate)
        return data


_MAP_KEYS = ("DestinationIDs", "Categories", "SharedGroups", "TimingIDs")


@dataclass
class BalanceFilter:
    """Every field is optional: None means "not given" (neither matched nor written)."""

    Uuid: str = None
    ID: str = None
    Type: str = None
    Value: float = None
    ExpirationDate: object = None
    has_expiry: bool = False  # ExpirationDate may be given as "never" (None)
    Weight: float = None
    DestinationIDs: dict = None
    RatingSubject: str = None
    Categories: dict = None
    SharedGroups: dict = None
    TimingIDs: dict = None
    Disabled: bool = None
    Factors: dict = None
    Blocker: bool = None

    @classmethod
    def from_map(cls, data, balance_type, now, tz):
        """BalanceFilter.LoadFromMap: case-sensitive keys, loose value conversion (§4.4)."""
        bf = cls(Type=balance_type)
        if "UUID" in data:
            bf.Uuid = as_string(data["UUID"])
        if "ID" in data:
            bf.ID = as_string(data["ID"])
        if "Value" in data:
            bf.Value = abs(as_float(data["Value"]))
        if "ExpiryTime" in data:
            bf.ExpirationDate = parse_time(as_string(data["ExpiryTime"]), tz, now)
            bf.has_expiry = True
        if "Weight" in data:
            bf.Weight = as_float(data["Weight"])
        for key in _MAP_KEYS:
            if key in data:
                setattr(bf, key, parse_string_map(as_string(data[key])))
        if "RatingSubject" in data:
            bf.RatingSubject = as_string(data["RatingSubject"])
        for key in ("Disabled", "Blocker"):
            if key in data:
                setattr(bf, key, as_bool(data[key]))
        if "Factors" in data:
            bf.Factors = _factors(data["Factors"])
        return bf

    def matches(self, balance, skip_expiry=False):
        """Balance.MatchFilter: UUID alone, else ID alone, else every given field."""
        if self.Uuid:
            return balance.Uuid == self.Uuid
        if self.ID:
            return balance.ID == self.ID
        if not skip_expiry and self.has_expiry and balance.ExpirationDate != self.ExpirationDate:
            return False
        simple = ("Weight", "Blocker", "Disabled", "RatingSubject", "Factors")
        if any(getattr(self, k) is not None and getattr(balance, k) != getattr(self, k) for k in simple):
            return False
        return all(getattr(self, k) is None or set(getattr(self, k)) <= set(getattr(balance, k) or {})
                   for k in _MAP_KEYS)

    def create_balance(self, value):
        """BalanceFilter.CreateBalance: the AddBalance/*topup path, unset maps become {}."""
        balance = Balance(Uuid=new_uuid(), ID=self.ID or "", ExpirationDate=self.ExpirationDate,
                          Weight=self.Weight or 0.0, RatingSubject=self.RatingSubject or "",
                          Disabled=bool(self.Disabled), Blocker=bool(self.Blocker), Factors=self.Factors)
        for key in _MAP_KEYS:
            setattr(balance, key, dict(getattr(self, key) or {}))
        balance.set_value(value)
        return balance

    def modify_balance(self, balance):
        """BalanceFilter.ModifyBalance: the SetBalance path, every given field overwrites."""
        if self.ID == "*default":
            if self.Value is not None:
                balance.set_value(self.Value)
            return
        for key in ("ID", "Weight", "RatingSubject", "Disabled", "Blocker", "Factors") + _MAP_KEYS:
            if getattr(self, key) is not None:
                setattr(balance, key, copy.copy(getattr(self, key)))
        if self.has_expiry:
            balance.ExpirationDate = self.ExpirationDate
        if self.Value is not None:
            balance.set_value(self.Value)

    def to_json(self):
        """The BalanceFilter JSON of actions and triggers: every field nullable (§4.6)."""
        value = None if self.Value is None else {"Method": "", "Params": None, "Static": self.Value}
        return {"Uuid": self.Uuid, "ID": self.ID, "Type": self.Type, "Value": value,
                "ExpirationDate": format_time(self.ExpirationDate) if self.has_expiry else None,
                "Weight": self.Weight, "DestinationIDs": sorted_map(self.DestinationIDs),
                "RatingSubject": self.RatingSubject, "Categories": sorted_map(self.Categories),
                "SharedGroups": sorted_map(self.SharedGroups), "TimingIDs": sorted_map(self.TimingIDs),
                "Timings": None, "Disabled": self.Disabled, "Factors": self.Factors, "Blocker": self.Blocker}


def _factors(value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise GoError(str(exc)) from None
    if not isinstance(value, dict):
        raise GoError(f"cannot convert field: {as_string(value)} to map[string]float64")
    return {key: as_float(item) for key, item in value.items()}


@dataclass
class Account:
    ID: str  # "<tenant>:<account>"
    BalanceMap: dict = None
    UnitCounters: dict = None
    ActionTriggers: list = None
    AllowNegative: bool = False
    Disabled: bool = False
    UpdateTime: object = None

    @property
    def tenant(self):
        return self.ID.split(":", 1)[0]

    @property
    def name(self):
        return self.ID.split(":", 1)[1]

    def balances(self, balance_type):
        return (self.BalanceMap or {}).get(balance_type, [])

    def all_balances(self):
        return [b for chain in (self.BalanceMap or {}).values() for b in chain]

    def append_balance(self, balance_type, balance):
        if self.BalanceMap is None:
            self.BalanceMap = {}
        self.BalanceMap.setdefault(balance_type, []).append(balance)

    def clean_expired(self, now):
        """Account.CleanExpiredStuff (rals.remove_expired defaults to true)."""
        for balance_type, chain in (self.BalanceMap or {}).items():
            self.BalanceMap[balance_type] = [b for b in chain if not b.expired_at(now)]

    def clone(self):
        return copy.deepcopy(self)

    def to_json(self):
        balance_map = None
        if self.BalanceMap is not None:
            balance_map = {t: [b.to_json() for b in chain] for t, chain in sorted(self.BalanceMap.items())}
        triggers = None if self.ActionTriggers is None else [t.to_json() for t in self.ActionTriggers]
        return {"ID": self.ID, "BalanceMap": balance_map, "UnitCounters": self.UnitCounters,
                "ActionTriggers": triggers, "AllowNegative": self.AllowNegative,
                "Disabled": self.Disabled, "UpdateTime": self.UpdateTime}

    def to_old_json(self):
        """Account.AsOldStructure, the reply of APIerSv1.GetAccount (§4.8)."""
        def joined(mapping):
            return ";".join(sorted(mapping or {}))

        balance_map = None
        if self.BalanceMap is not None:
            balance_map = {t + "*out": [{"Uuid": b.Uuid, "Id": b.ID, "Value": b.Value,
                                         "ExpirationDate": format_time(b.ExpirationDate),
                                         "Weight": b.Weight,
                                         "DestinationIds": joined(b.DestinationIDs),
                                         "RatingSubject": b.RatingSubject, "Category": joined(b.Categories),
                                         "SharedGroup": joined(b.SharedGroups), "Timings": b.Timings,
                                         "TimingIDs": joined(b.TimingIDs), "Disabled": b.Disabled}
                                        for b in chain]
                           for t, chain in sorted(self.BalanceMap.items())}
        triggers = None if self.ActionTriggers is None else [t.to_old_json() for t in self.ActionTriggers]
        return {"Id": "*out:" + self.ID, "BalanceMap": balance_map, "UnitCounters": None,
                "ActionTriggers": triggers, "AllowNegative": self.AllowNegative, "Disabled": self.Disabled}


@dataclass
class ActionTrigger:
    """engine.ActionTrigger; a copy lives on each account that has its group (§4.6, §6.12)."""

    ID: str
    UniqueID: str
    ThresholdType: str = ""
    ThresholdValue: float = 0.0
    Recurrent: bool = False
    MinSleep: int = 0
    ExpirationDate: object = None
    ActivationDate: object = None
    Balance: BalanceFilter = field(default_factory=BalanceFilter)
    Weight: float = 0.0
    ActionsID: str = ""
    MinQueuedItems: int = 0
    Executed: bool = False
    LastExecutionTime: object = None

    def active_at(self, moment):
        if self.ExpirationDate is not None and self.ExpirationDate < moment:
            return False
        return self.ActivationDate is None or self.ActivationDate <= moment

    def to_json(self):
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["Balance"] = self.Balance.to_json()
        for key in ("ExpirationDate", "ActivationDate", "LastExecutionTime"):
            data[key] = format_time(data[key])
        return data

    def to_old_json(self):
        return {"Id": self.ID, "ThresholdType": self.ThresholdType, "ThresholdValue": self.ThresholdValue,
                "Recurrent": self.Recurrent, "MinSleep": self.MinSleep, "BalanceId": self.Balance.ID or "",
                "BalanceType": self.Balance.Type or "", "Weight": self.Weight, "ActionsId": self.ActionsID,
                "Executed": self.Executed}
