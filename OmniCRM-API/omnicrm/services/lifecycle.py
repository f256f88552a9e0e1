"""The end of a service's life (spec 06 §11): the "Pending Cancellation" grace period (cancel requested or renewal
failed; reverts to Active when paid within the grace period; deprovisioned after it) and full deprovisioning
outside a playbook (OCS, HSS, inventory), with the scheduled job that ends grace periods and number quarantines.

Plain functions; `expire_grace_periods` and `run_scheduled` commit per service so one failure never blocks others.
"""
import json
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict
from omnicrm.services.models import PENDING_CANCELLATION, Service

log = logging.getLogger(__name__)

DEFAULT_GRACE_DAYS = 14  # spec 06 §11.2: 7-30 days, operator's choice


def grace_days():
    return int((current_app.config["CRM"].get("lifecycle") or {}).get("grace_period_days") or DEFAULT_GRACE_DAYS)


def grace_period_end(now=None):
    return (now or utcnow()) + timedelta(days=grace_days())


def request_cancellation(service, reason):
    """Cancel Service (spec 06 §11.2): the service stays usable but stops renewing until the grace period ends."""
    from omnicrm.services.service import change_status
    if service.service_status != "Active":
        raise Conflict(f"Service {service.service_id} is {service.service_status}: only an Active service can be "
                       "cancelled")
    change_status(service, PENDING_CANCELLATION)
    activity.record("service", service.service_id, "cancel_requested",
                    f"Cancellation of service {service.service_id} requested: {reason}; deprovisioned on "
                    f"{service.grace_period_end:%Y-%m-%d %H:%M} UTC unless paid", customer_id=service.customer_id)
    return service


def renewal_failed(job):
    """A failed renewal (an auto-renewing add-on's job on an Active service) starts the grace period. Called when
    a provisioning job ends; anything else is ignored."""
    from omnicrm.ocs.service import action_plans
    from omnicrm.services.service import change_status
    service = db.session.get(Service, job.service_id) if job.service_id else None
    if service is None or service.service_status != "Active" or job.product_id is None:
        return False
    renewing = {p["ActionPlanId_split_dict"].get("ProductID") for p in action_plans(service)}
    if job.product_id not in renewing:
        return False
    change_status(service, PENDING_CANCELLATION)
    activity.record("service", service.service_id, "renewal_failed",
                    f"Renewal of product {job.product_id} failed (job {job.provision_id}): service "
                    f"{service.service_id} is Pending Cancellation until {service.grace_period_end:%Y-%m-%d %H:%M} UTC",
                    customer_id=service.customer_id)
    db.session.commit()
    return True


def paused_renewal_products(service):
    """The product ids of the auto-renewals a Pending Cancellation (or suspended) service has paused."""
    from omnicrm.ocs.service import parse_action_plan_id
    return {parse_action_plan_id(plan["Id"]).get("ProductID")
            for plan in json.loads(service.paused_action_plans or "[]")} - {None}


def renewal_paid(job):
    """A successful renewal (a job of a product the service auto-renews) of a Pending Cancellation service pays it
    within the grace period: the service is Active again and its renewals resume (spec 06 §11.2). Called when a
    provisioning job succeeds; anything else is ignored."""
    from omnicrm.services.service import change_status
    service = db.session.get(Service, job.service_id) if job.service_id else None
    if service is None or service.service_status != PENDING_CANCELLATION or \
            job.product_id not in paused_renewal_products(service):
        return False
    change_status(service, "Active")
    activity.record("service", service.service_id, "renewal_paid",
                    f"Renewal of product {job.product_id} paid (job {job.provision_id}): service "
                    f"{service.service_id} is Active again", customer_id=service.customer_id)
    db.session.commit()
    return True


def deprovision(service, now=None):
    """Full deprovisioning without a playbook (spec 06 §11.2 step 4, §11.3): OCS account, plans and profiles
    removed (scheduler reloaded), HSS subscribers removed or made dormant, inventory released by policy, status
    Deactivated. Returns what was done. A failing dependency raises before the row changes."""
    from omnicrm.integrations.hss import HssClient
    from omnicrm.inventory.service import SIM_ITEMS, item_to_dict, release_service_inventory, service_items
    from omnicrm.ocs.service import deprovision_ocs
    from omnicrm.services.service import change_status
    hss_config = current_app.config["CRM"].get("hss") or {}
    hss = HssClient(hss_config.get("hss_peers"))
    delete = hss_config.get("deprovision_subscriber", True) is not False
    sims = [item_to_dict(item).get("imsi") for item in service_items(service.service_id) if item.item in SIM_ITEMS]
    report = {"ocs": deprovision_ocs(service), "hss": []}
    for imsi in filter(None, sims):
        report["hss"].append({"imsi": imsi, "peers": hss.deprovision(imsi, delete=delete),
                              "action": "deleted" if delete else "dormant"})
    report["inventory"] = release_service_inventory(service.service_id, now)
    if service.service_status != "Deactivated":
        change_status(service, "Deactivated")
    activity.record("service", service.service_id, "deprovision", f"Deprovisioned service {service.service_id}",
                    customer_id=service.customer_id, changes={"report": report})
    return report


def expire_grace_periods(now=None):
    """The scheduled job: every Pending Cancellation service whose grace period is over is deprovisioned. A service
    whose deprovisioning fails (OCS down) stays pending and is tried again next run. Returns {service_id: report}."""
    now = now or utcnow()
    due = db.session.scalars(select(Service.service_id).where(Service.service_status == PENDING_CANCELLATION,
                                                              Service.grace_period_end <= now)).all()
    done = {}
    for service_id in due:
        try:
            done[service_id] = deprovision(db.session.get(Service, service_id), now)
            db.session.commit()
        except ApiError as error:
            db.session.rollback()
            log.warning("grace period of service %s ended but deprovisioning failed: %s", service_id, error.message)
    return done


def run_scheduled(now=None):
    """Everything the lifecycle does on a schedule (the `omnicrm lifecycle` command, cron or the worker loop)."""
    from omnicrm.inventory.service import end_quarantines
    return {"deprovisioned": sorted(expire_grace_periods(now)), "quarantine_ended": end_quarantines(now)}
