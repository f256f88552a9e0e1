"""The failure e-mail to `provisioning.failure_list` (spec 04 §11), sent through the communications module.

Mailjet's plain-text channel carries no colour, so each task is tagged with the spec's colour words:
GREEN (done), ORANGE (failed, ignored), RED (critical failure, with its full redacted result).
"""
import json
import logging

from flask import current_app

from omnicrm.common.safe_log import log_unexpected
from omnicrm.common.emails import split_emails
from omnicrm.provisioning.models import STATUS_FAILED, STATUS_RUNNING, STATUS_SKIPPED

log = logging.getLogger(__name__)

TAGS = {0: "GREEN  ok", 1: "RED    unfinished", 2: "RED    FAILED", 3: "ORANGE failed (ignored)"}


def failure_email_text(job):
    from omnicrm.provisioning.service import job_variables_redacted
    customer = job.customer.customer_name if job.customer is not None else "?"
    product = job.product.product_name if job.product is not None else "?"
    lines = [
        f"Provisioning job {job.provision_id} FAILED.",
        "",
        f"Customer: {customer} (customer_id {job.customer_id})",
        f"Product: {product} (product_id {job.product_id})",
        f"Service: {job.service_id if job.service_id is not None else '-'}",
        f"Playbook: {job.provisioning_play} ({job.playbook_description or ''})",
        f"Initiated by user: {job.initiating_user}",
        f"Started: {job.created}Z  Finished: {job.finished}Z",
        "",
        "Tasks:",
    ]
    for event in job.events:
        lines.append(f"  [{TAGS.get(event.provisioning_status, '?')}] {event.event_number}. {event.event_name}")
    critical = [e for e in job.events if e.provisioning_status in (STATUS_FAILED, STATUS_RUNNING)]
    for event in critical:
        lines += ["", f"--- RED: {event.event_name} (debug output) ---"]
        try:
            lines.append(json.dumps(json.loads(event.provisioning_result_json or "null"), indent=2))
        except ValueError:
            lines.append(event.provisioning_result_json or "")
    ignored = [e for e in job.events if e.provisioning_status == STATUS_SKIPPED]
    if ignored:
        lines += ["", f"{len(ignored)} task(s) failed with ignore_errors (ORANGE) and did not stop the job."]
    lines += ["", "Variables (redacted):", json.dumps(job_variables_redacted(job), indent=2, default=str)]
    return "\n".join(lines)


def send_failure_email(job):
    """Best effort: a mail problem is logged, it never changes the job's outcome."""
    recipients, invalid = split_emails(current_app.config["CRM"]["provisioning"].get("failure_list") or [])
    if invalid:
        log.warning("provisioning.failure_list: skipping invalid address(es) %s", ", ".join(invalid))
    if not recipients:
        return None
    from omnicrm import db
    from omnicrm.communications.service import send_plain_email
    subject = f"Provisioning failed: job {job.provision_id} {job.provisioning_play}" + \
        (f" for {job.customer.customer_name}" if job.customer is not None else "")
    try:
        row = send_plain_email(recipients, subject[:250], failure_email_text(job), customer_id=job.customer_id,
                               raise_errors=False)
        db.session.commit()
        return row
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        log_unexpected(log, error, "could not send the failure e-mail of provisioning job %s", job.provision_id)
        return None


def send_welcome_email(customer_id, data):
    """The welcome e-mail of a customer's first service (spec 03 §12.12, spec 06 §13.3 "customer activates a service
    for the first time"): the Customer Welcome template with the spec's variables to every contact with an address.
    The playbook's package fields are checked but, not being template variables of the spec, are not sent."""
    from omnicrm import db
    from omnicrm.common.validation import Checker
    from omnicrm.customers.models import Customer
    from omnicrm.customers.service import send_welcome_email as send_customer_welcome
    from omnicrm.errors import NotFound
    check = Checker(data)
    check.string("package_name", required=True)
    check.money("monthly_cost")
    check.money("setup_cost")
    check.integer("service_id", minimum=1)
    check.done()
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"Customer {customer_id} not found")
    rows = send_customer_welcome(customer)
    if not rows:
        return {"sent": False, "message": "The customer has no contact with an e-mail address"}
    return {"sent": all(r.status in ("sent", "recorded") for r in rows), "communication_id": rows[0].communication_id,
            "status": rows[0].status}


def send_cpe_config_email(inventory_id):
    """Pattern C's last step (spec 03 §12.10): the CPE's rendered configuration to `provisioning.support_list`,
    through the communications module (no Mailjet secret in a playbook) and with the CPE's secrets (admin
    password, Wi-Fi PSK) masked: support reads them from the inventory item with view_inventory_secrets."""
    from omnicrm import db
    from omnicrm.communications.service import send_plain_email
    from omnicrm.errors import NotFound, ValidationError
    from omnicrm.inventory.models import Inventory
    from omnicrm.provisioning.redaction import Redactor, inventory_secret_values
    item = db.session.get(Inventory, inventory_id)
    if item is None:
        raise NotFound(f"Inventory item {inventory_id} not found")
    if not item.config_content:
        raise ValidationError("Validation failed", errors={"inventory_id": "this item has no stored configuration"})
    recipients, invalid = split_emails(current_app.config["CRM"]["provisioning"].get("support_list") or [])
    if invalid:
        log.warning("provisioning.support_list: skipping invalid address(es) %s", ", ".join(invalid))
    if not recipients:
        return {"sent": False, "message": "provisioning.support_list has no valid address"}
    name = item.management_url or f"inventory {item.inventory_id}"
    config = Redactor(inventory_secret_values([item.inventory_id])).text(item.config_content)
    text = (f"CPE configuration {item.config_file_path or ''} for {name} (inventory_id {item.inventory_id}, "
            f"customer_id {item.customer_id}, service_id {item.service_id}).\nSecrets are masked (***): read them "
            f"from the inventory item.\n\n{config}")
    row = send_plain_email(recipients, f"CPE configuration - {name}"[:250], text, customer_id=item.customer_id,
                           raise_errors=False)
    db.session.commit()
    return {"sent": row.status in ("sent", "recorded"), "communication_id": row.communication_id,
            "status": row.status}
