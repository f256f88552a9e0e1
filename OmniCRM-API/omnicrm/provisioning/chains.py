"""Provisioning chains (spec 04 §7.9): a play that declares `vars.provisioning_chain` is followed by those plays,
one at a time, each its own Provision row with `parent_provision_id` = the first job.

After the first job succeeds the engine looks up the service it created (same customer and product, created
while it ran, not part of a bundle) and passes its id to every later part as `service_id`. A part starts only
after the previous one succeeded. A chain succeeds or fails as a unit: a failed part rolls itself back, then
`roll_back` undoes what the earlier jobs of the chain created (their services deprovisioned and deleted, their
charges voided), so a half-built bundle never stays provisioned or charged.
"""
import json

from sqlalchemy import func, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.provisioning import playbooks
from omnicrm.errors import Conflict
from omnicrm.provisioning.models import STATUS_RUNNING, STATUS_SUCCESS, Provision
from omnicrm.services.models import Service

# Variables a part does not inherit from the first job: the engine's own, and the inventory the first job used.
NOT_INHERITED = ("access_token", "refresh_token", "crm_config", "provision_id", "service_id")


def parts_of(job):
    return playbooks.chain(playbooks.playbook_path(job.provisioning_play))


def created_service_id(job):
    """The first service the job's playbook created (queried from the database, as spec 04 §7.9 says)."""
    return db.session.scalar(
        select(Service.service_id).where(
            Service.customer_id == job.customer_id, Service.product_id == job.product_id,
            Service.bundled_parent.is_(None), Service.created >= job.created,
            Service.service_id.notin_(select(Provision.service_id).where(
                Provision.service_id.isnot(None), Provision.provision_id != job.provision_id)))
        .order_by(Service.service_id).limit(1))


def create_part(root, play, retry_of=None):
    """A Provision row for one part of root's chain (no validation: the order was validated for the root)."""
    if root.service_id is None or db.session.get(Service, root.service_id) is None:
        raise Conflict(f"The bundle of job {root.provision_id} was rolled back when a part failed: order it again")
    variables = {k: v for k, v in json.loads(root.provisioning_json_vars or "{}").items() if k not in NOT_INHERITED}
    inventory_keys = set()
    if root.product is not None:
        from omnicrm.provisioning.service import parse_name_list
        inventory_keys = set(parse_name_list(root.product.inventory_items_list))
    variables = {k: v for k, v in variables.items() if k not in inventory_keys}
    variables.update(service_id=root.service_id, parent_provision_id=root.provision_id)
    task_count, description = playbooks.describe(playbooks.playbook_path(play))
    part = Provision(product_id=root.product_id, customer_id=root.customer_id, service_id=root.service_id,
                     provisioning_play=play, playbook_description=(description or play)[:255],
                     provisioning_status=STATUS_RUNNING, task_count=task_count,
                     initiating_user=root.initiating_user, parent_provision_id=root.provision_id, retry_of=retry_of,
                     request_id=root.request_id)
    db.session.add(part)
    db.session.flush()
    variables["provision_id"] = part.provision_id
    part.provisioning_json_vars = json.dumps(variables, default=str)
    activity.record("provision", part.provision_id, "create",
                    f"Provisioning job {part.provision_id} started: {play}, part of chain {root.provision_id}",
                    customer_id=root.customer_id, actor="system:provisioning")
    db.session.commit()
    from omnicrm.provisioning.dispatch import submit
    submit(part)
    return part


def advance(provision_id):
    """Called when a job succeeded: start the next part of its chain, if any. Returns the new job or None."""
    job = db.session.get(Provision, provision_id)
    root = job if job.parent_provision_id is None else db.session.get(Provision, job.parent_provision_id)
    if root is None:
        return None
    parts = parts_of(root)
    if not parts:
        return None
    if job is root and root.service_id is None:
        return None  # nothing to chain onto: the play created no service (finish_job records what it created)
    done = db.session.scalar(select(func.count()).select_from(Provision).where(
        Provision.parent_provision_id == root.provision_id, Provision.provisioning_status == STATUS_SUCCESS))
    if done >= len(parts):
        return None
    return create_part(root, parts[done])


def roll_back(provision_id):
    """Called when a job failed: if it is a chain part, undo the earlier parts and the first job (the bundle's
    services, newest first: OCS deprovisioned, inventory back in stock, unbilled charges voided, rows deleted).
    Returns the ids of the services removed."""
    from omnicrm.billing.models import Transaction
    from omnicrm.billing.service import void_transaction
    from omnicrm.services.service import delete_service
    job = db.session.get(Provision, provision_id)
    root = db.session.get(Provision, job.parent_provision_id) if job and job.parent_provision_id else None
    bundle = db.session.get(Service, root.service_id) if root is not None and root.service_id else None
    if bundle is None:
        return []
    services = [*db.session.scalars(select(Service).where(Service.bundled_parent == bundle.service_id)
                                    .order_by(Service.service_id.desc())), bundle]
    removed = []
    for service in services:
        for charge in db.session.scalars(select(Transaction).where(Transaction.service_id == service.service_id,
                                                                   Transaction.void.is_(False),
                                                                   Transaction.invoice_id.is_(None))):
            void_transaction(charge)
        removed.append(delete_service(service)["service_id"])
    activity.record("provision", root.provision_id, "chain_rolled_back",
                    f"Chain {root.provision_id} rolled back after part {provision_id} failed: services "
                    f"{', '.join(map(str, removed))} removed", customer_id=root.customer_id,
                    actor="system:provisioning")
    db.session.commit()
    return removed
