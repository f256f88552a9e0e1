"""/crm/provision: start provisioning jobs, follow them task by task, retry them (spec 04 §7, §10, §12)."""
import time

from flask import current_app, g
from flask_restx import Namespace, Resource, fields
from sqlalchemy import or_, select

from omnicrm import db
from omnicrm.auth.guards import ensure_automated_caller
from omnicrm.auth.identity import customer_scope, ensure_customer_visible
from omnicrm.auth.rbac import requires
from omnicrm.common.listing import list_parser, paginate, parse_list_params
from omnicrm.common.validation import json_body
from omnicrm.customers.models import Customer
from omnicrm.errors import DependencyError, Forbidden, ValidationError
from omnicrm.products.models import Product
from omnicrm.provisioning import notify, service
from omnicrm.provisioning.models import STATUS_RUNNING, STATUS_SUCCESS, Provision

ns = Namespace("provision", description="Provisioning jobs (Ansible playbooks) and their events",
               path="/provision")

order_model = ns.model("ProvisionOrder", {
    "product_id": fields.Integer(required=True), "customer_id": fields.Integer(required=True),
    "service_id": fields.Integer(description="Existing service (add-ons, deprovisioning)"),
    "provisioning_play": fields.String(description="Playbook name; default: the product's provisioning_play"),
    "action": fields.String(description='"deprovision" runs the playbook\'s cleanup and ends in success'),
})
created_model = ns.model("ProvisionCreated", {
    "provision_id": fields.Integer, "provisioning_status": fields.Integer, "message": fields.String})
event_model = ns.model("ProvisionEvent", {
    "provision_event_id": fields.Integer, "event_number": fields.Integer, "event_name": fields.String,
    "provisioning_status": fields.Integer(description="0 ok, 1 running, 2 failed, 3 failed but ignored"),
    "provisioning_result_json": fields.String(description="Task result as JSON, secrets redacted"),
    "timestamp": fields.String})
job_fields = {
    "provision_id": fields.Integer, "customer_id": fields.Integer, "customer_name": fields.String,
    "product_id": fields.Integer, "product_name": fields.String, "service_id": fields.Integer,
    "provisioning_status": fields.Integer(description="0 success, 1 running, 2 failed"),
    "provisioning_play": fields.String, "playbook_description": fields.String, "task_count": fields.Integer,
    "initiating_user": fields.Integer, "parent_provision_id": fields.Integer, "retry_of": fields.Integer,
    "job_id": fields.String, "created": fields.String, "last_modified": fields.String, "finished": fields.String,
}
job_model = ns.model("Provision", {**job_fields, "provisioning_json_vars": fields.String,
                                   "provisioning_result_json": fields.List(fields.Nested(event_model))})
job_list_model = ns.model("ProvisionList", {
    "data": fields.List(fields.Nested(ns.model("ProvisionSummary", job_fields))),
    "pagination": fields.Raw})

SORTABLE = {"provision_id": Provision.provision_id, "created": Provision.created,
            "provisioning_status": Provision.provisioning_status, "customer_id": Provision.customer_id,
            "product_id": Provision.product_id, "provisioning_play": Provision.provisioning_play,
            "customer_name": Customer.customer_name}
FILTERABLE = {"provisioning_status": Provision.provisioning_status, "customer_id": Provision.customer_id,
              "product_id": Provision.product_id, "service_id": Provision.service_id,
              "provisioning_play": Provision.provisioning_play, "initiating_user": Provision.initiating_user,
              "parent_provision_id": Provision.parent_provision_id}


def _search(text):
    like = f"%{text}%"
    return or_(Provision.playbook_description.ilike(like), Provision.provisioning_play.ilike(like),
               Product.product_name.ilike(like), Customer.customer_name.ilike(like))


def _created(job):
    return {"provision_id": job.provision_id, "provisioning_status": job.provisioning_status,
            "message": "Provisioning job created"}


@ns.route("/")
class ProvisionCollection(Resource):
    @requires("create_provision", self_care=True)
    @ns.expect(order_model)
    @ns.response(200, "Job created and queued", created_model)
    @ns.response(400, "Invalid order: product, customer, inventory selections")
    @ns.response(403, "Missing CREATE_PROVISION, or a customer ordering for another account")
    def put(self):
        """Start provisioning a product for a customer; returns at once with the provision_id to poll."""
        return _created(service.create_job(g.identity, json_body()))

    @requires("view_provision", own="view_own_provision")
    @ns.expect(list_parser)
    @ns.response(200, "Paginated jobs", job_list_model)
    def get(self):
        """List provisioning jobs (search matches play description, play, product and customer names)."""
        stmt = service.jobs_query()
        scope = customer_scope()
        if scope is not None:
            stmt = stmt.where(Provision.customer_id == scope)
        return paginate(stmt, parse_list_params(), sortable=SORTABLE, default_sort="provision_id",
                        filterable=FILTERABLE, search_clause=_search,
                        serialize=lambda job: service.job_to_dict(job, events=False))


@ns.route("/provision_id/<int:provision_id>")
class ProvisionItem(Resource):
    @requires("view_provision", own="view_own_provision")
    @ns.response(200, "The job with its task events", job_model)
    @ns.response(404, "No such job")
    def get(self, provision_id):
        """One job: status, task count and every task event so far (poll every 2-5 s while status is 1)."""
        job = service.get_job(provision_id)
        ensure_customer_visible(job.customer_id)
        return service.job_to_dict(job)


@ns.route("/provision_id/<int:provision_id>/retry")
class ProvisionRetry(Resource):
    @requires("create_provision", self_care=True)
    @ns.response(200, "A new job repeating the failed one", created_model)
    @ns.response(409, "The job has not failed")
    def post(self, provision_id):
        """Retry a failed job: a new job with the same variables (the order is validated again)."""
        job = service.get_job(provision_id)
        ensure_customer_visible(job.customer_id)
        return _created(service.retry_job(g.identity, job))


@ns.route("/simple_provision_addon/service_id/<int:service_id>/product_id/<int:product_id>",
          "/simple_provision_addon/service_id/<int:service_id>/<int:product_id>/<int:repeated_product_id>")
class SimpleProvisionAddon(Resource):
    @requires("create_provision")
    @ns.response(200, "Job created and queued", created_model)
    @ns.response(400, "The guide's path form with two different product ids")
    def post(self, service_id, product_id, repeated_product_id=None):
        """Provision an add-on onto a service for an automated system (e.g. an OCS ActionPlan callback). The second
        path is the auto-renew callback exactly as the playbook guide writes it (spec 03 §12.11):
        `.../service_id/<service_id>/<product_id>/<product_id>`."""
        if repeated_product_id is not None and repeated_product_id != product_id:
            raise ValidationError("Validation failed", errors={
                "product_id": "the callback path repeats the product id: both must be the same"})
        ensure_automated_caller("Simple provisioning")
        return _created(service.create_job(g.identity, {"service_id": service_id, "product_id": product_id}))


@ns.route("/simple_provision_addon_recharge/service_id/<int:service_id>/product_id/<int:product_id>")
class SimpleProvisionRecharge(Resource):
    @requires("create_provision")
    @ns.response(200, "The job finished successfully", job_model)
    @ns.response(202, "Still running after the wait; poll provision_id", job_model)
    @ns.response(502, "The job failed")
    def post(self, service_id, product_id):
        """Like simple_provision_addon but waits for the result (up to provisioning.recharge_wait_seconds)."""
        ensure_automated_caller("Simple provisioning")
        job = service.create_job(g.identity, {"service_id": service_id, "product_id": product_id})
        wait = int(current_app.config["CRM"]["provisioning"].get("recharge_wait_seconds") or 60)
        deadline = time.monotonic() + wait
        while True:
            db.session.rollback()  # a new transaction: MariaDB's repeatable read would keep showing status 1
            status = db.session.scalar(select(Provision.provisioning_status)
                                       .where(Provision.provision_id == job.provision_id))
            if status != STATUS_RUNNING or time.monotonic() >= deadline:
                break
            time.sleep(0.25)
        job = db.session.get(Provision, job.provision_id, populate_existing=True)
        body = service.job_to_dict(job)
        if job.provisioning_status == STATUS_RUNNING:
            return body, 202
        if job.provisioning_status != STATUS_SUCCESS:
            raise DependencyError(f"Provisioning job {job.provision_id} failed", provision=body)
        return body


@ns.route("/welcome_email/customer_id/<int:customer_id>")
class WelcomeEmail(Resource):
    @requires("create_provision")
    @ns.response(200, "Sent (or recorded in the outbox) to every contact with an e-mail address")
    @ns.response(404, "No such customer")
    def post(self, customer_id):
        """The playbooks' welcome e-mail (task_welcome_email.yaml): Mailjet template
        api_crmCommunicationCustomerWelcome to the customer's contacts, so no Mailjet secret reaches a playbook."""
        ensure_customer_visible(customer_id)
        return notify.send_welcome_email(customer_id, json_body())


@ns.route("/cpe_config_email/inventory_id/<int:inventory_id>")
class CpeConfigEmail(Resource):
    @requires("create_provision")
    @ns.response(200, "Sent (or recorded in the outbox) to provisioning.support_list")
    @ns.response(400, "The item has no stored configuration")
    @ns.response(404, "No such inventory item")
    def post(self, inventory_id):
        """The CPE play's e-mail of the rendered configuration to support (spec 03 §12.10 step 10), secrets
        masked. For staff, API keys and provisioning jobs; not for subscribers."""
        if g.identity.customer_id is not None:
            raise Forbidden("The configuration e-mail is sent by provisioning, not by subscribers")
        return notify.send_cpe_config_email(inventory_id)


namespaces = [ns]
