"""/crm/oam (auto-renewals, top-ups) and /crm/ocs (a service's CGRateS settings) (spec 04 §15; spec 05 §5-6;
spec 07 §6.7). The CGRateS *http_post callbacks (/crm/provision/simple_provision_addon/...) are the provisioning
domain's."""
from flask_restx import Namespace, Resource, fields

from omnicrm import db
from omnicrm.auth.guards import ensure_automated_caller
from omnicrm.auth.identity import current_identity, customer_scope
from omnicrm.auth.rbac import requires
from omnicrm.common.listing import list_response, parse_list_params
from omnicrm.common.validation import Checker, json_body
from omnicrm.errors import Forbidden
from omnicrm.ocs import service as ocs
from omnicrm.services.service import get_service

oam = Namespace("oam", description="Auto-renewals (ActionPlans) and top-ups", path="/oam")
settings = Namespace("ocs", description="A service's CGRateS attribute profile, filter and sessions", path="/ocs")

topup_model = oam.model("TopUp", {
    "amount": fields.String(description="Monetary top-up in currency units, e.g. 10.00"),
    "product_id": fields.Integer(description="Add-on top-up: the add-on product to provision instead"),
    "reason": fields.String(required=True, description="Why staff credit this service (kept with who did it)"),
})
attributes_model = settings.model("AttributeRows", {"Attributes": fields.List(fields.Raw, required=True),
                                                    "FilterIDs": fields.List(fields.String),
                                                    "Contexts": fields.List(fields.String),
                                                    "Weight": fields.Float, "Blocker": fields.Boolean})
filter_model = settings.model("FilterRules", {"Rules": fields.List(fields.Raw, required=True)})
VIEW_OWN = dict(own="view_own_customer_service")


@oam.route("/action_plans/service_id/<int:service_id>")
class ServiceActionPlans(Resource):
    @requires("view_customer_service", **VIEW_OWN)
    @oam.response(200, "The service's auto-renewals with product name, cost and next run")
    def get(self, service_id):
        """ActionPlans of one service (spec 04 §15.2); [] means no auto-renewal is enabled."""
        from omnicrm.services.service import usage_visible_to_caller
        service = get_service(service_id)
        if not usage_visible_to_caller(service):
            return {"data": [], "usage_visible": False}
        return {"data": ocs.action_plans(service), "usage_visible": True}


@oam.route("/remove_action_plan/<string:action_plan_id>")
class RemoveActionPlan(Resource):
    @requires("update_customer_service", **VIEW_OWN)
    @oam.response(200, "Removed; the activity log says so")
    @oam.response(404, "No such ActionPlan on a service you can see")
    def delete(self, action_plan_id):
        """Cancel an auto-renewal: remove the ActionPlan in CGRateS (spec 04 §15.5)."""
        service = ocs.remove_action_plan(action_plan_id)
        db.session.commit()
        return {"message": f"Removed ActionPlan {action_plan_id} from service {service.service_id}",
                "service_id": service.service_id, "ActionPlanId": action_plan_id}


@oam.route("/renew_now/<string:action_plan_id>")
class RenewNow(Resource):
    @requires("update_customer_service", **VIEW_OWN)
    @oam.response(200, "Provisioning job created: {provision_id, ...}")
    @oam.response(501, "The provisioning engine is not installed yet")
    def post(self, action_plan_id):
        """Renew Now: provision the plan's product on its service immediately (spec 04 §15.6)."""
        return ocs.renew_now(action_plan_id)


@oam.route("/upcoming_renewals")
class UpcomingRenewals(Resource):
    @requires("view_customer_service")
    @oam.response(200, "{data: [...], pagination}: every scheduled renewal, soonest first")
    def get(self):
        """Upcoming auto-renewals of every service, from GetScheduledActions (spec 05 §5)."""
        params = parse_list_params(default_per_page=50)
        rows = ocs.upcoming_renewals()
        start = (params.page - 1) * params.per_page
        return list_response(rows[start:start + params.per_page], params, len(rows))


@oam.route("/topup/service_id/<int:service_id>")
class TopUp(Resource):
    @requires("create_customer_transaction")
    @oam.expect(topup_model)
    @oam.response(200, "Topped up: the transaction and the new balance")
    @oam.response(403, "Customer users: a top-up must be paid first, and online payment is not available yet")
    @oam.response(501, "Add-on top-ups need the provisioning engine")
    def post(self, service_id):
        """Staff top-up of a service: monetary credit (charged to the account) or an add-on (spec 07 §6.7), with the
        reason recorded beside who did it. Customer users are refused until top-ups are paid online."""
        identity = current_identity()
        if customer_scope() is not None or identity.customer_id is not None:
            raise Forbidden("Top-ups must be paid first; online payment is not available yet. Please contact us.")
        data = json_body()
        check = Checker(data)
        check.reject_unknown(("amount", "product_id", "reason"))
        amount = check.money("amount")
        product_id = check.integer("product_id", minimum=1)
        reason = check.string("reason", required=True, max_length=500)
        if reason is not None and len(reason.strip()) < 3:
            check.error("reason", "say why this service is credited (at least 3 characters)")
        if (amount is None) == (product_id is None):
            check.error("amount", "send either amount (monetary top-up) or product_id (add-on top-up)")
        check.done()
        service = get_service(service_id)
        if amount is not None:
            return ocs.topup_monetary(service, amount, reason.strip())
        return ocs.topup_addon(service, product_id, reason.strip())


def _balance_alert(kind):
    from omnicrm.ocs import balance_alerts
    ensure_automated_caller("A balance alert (an OCS callback)")
    row = balance_alerts.notify(kind, json_body())
    return {"sent": row is not None, "communication_id": row.communication_id if row else None,
            "status": row.status if row else None}


@settings.route("/balance_low")
class BalanceLowCallback(Resource):
    @requires("create_communication")
    @settings.response(200, "E-mailed (api_crmCommunicationsBalanceLow) to the customer's billing/primary contact")
    @settings.response(403, "Not an API key or whitelisted OCS address")
    @settings.response(404, "No service for the account")
    def post(self):
        """CGRateS *min_balance ActionTrigger *http_post (body: the account JSON): the low balance e-mail."""
        return _balance_alert("low")


@settings.route("/balance_expired")
class BalanceExpiredCallback(Resource):
    @requires("create_communication")
    @settings.response(200, "E-mailed (api_crmCommunicationsBalanceExpired) to the billing/primary contact")
    @settings.response(403, "Not an API key or whitelisted OCS address")
    @settings.response(404, "No service for the account")
    def post(self):
        """CGRateS *balance_expired ActionTrigger *http_post (body: the account JSON): the expired balance e-mail."""
        return _balance_alert("expired")


proxy_model = settings.model("OcsProxyRequest", {
    "method": fields.String(required=True, example="APIerSv1.GetAttributeProfile"),
    "params": fields.List(fields.Raw, required=True, example=[{"ID": "ATTR_ACCOUNT_Mobile_SIM_c2880638"}]),
    "customer_id": fields.Integer(required=True), "service_id": fields.Integer(required=True),
    "tenant": fields.String(description="Default: ocs.ocsTenant"),
})


@settings.route("/proxy")
class OcsProxy(Resource):
    @requires("cgrates_api_access")
    @settings.expect(proxy_model)
    @settings.response(200, "{method, tenant, result}: the CGRateS result")
    @settings.response(400, "Missing field, params not an array, or the service is not the customer's")
    @settings.response(403, "Missing cgrates_api_access, or a method outside the allow-list")
    @settings.response(502, "CGRateS answered with an error")
    @settings.response(503, "CGRateS unreachable")
    def post(self):
        """Call one CGRateS JSON-RPC method (reads; writes only when allow-listed, and then logged) (spec 05 §6.6)."""
        from omnicrm.ocs.proxy import proxy
        return proxy(json_body())


@settings.route("/service/<int:service_id>/attributes")
class ServiceAttributes(Resource):
    @requires("cgrates_api_access")
    @settings.response(200, "{ID: ATTR_ACCOUNT_<service_uuid>, profile (null when none)}")
    def get(self, service_id):
        """The service's CGRateS attribute profile (spec 05 §6.3)."""
        return ocs.get_attribute_profile(get_service(service_id))

    @requires("cgrates_api_access")
    @settings.expect(attributes_model)
    @settings.response(200, "Saved; logged with before/after")
    @settings.response(400, "A row without Path or Type, or without Rules")
    def put(self, service_id):
        """Replace the attribute rows (an empty list removes the profile)."""
        result = ocs.save_attribute_profile(get_service(service_id), json_body())
        db.session.commit()
        return result


@settings.route("/service/<int:service_id>/filters")
class ServiceFilters(Resource):
    @requires("cgrates_api_access")
    @settings.response(200, "{ID: FLTR_ACCOUNT_<service_uuid>, filter (null when none)}")
    def get(self, service_id):
        """The service's CGRateS filter (spec 05 §6.4)."""
        return ocs.get_filter(get_service(service_id))

    @requires("cgrates_api_access")
    @settings.expect(filter_model)
    @settings.response(200, "Saved; logged with before/after")
    @settings.response(400, "A rule without Element or Type")
    def put(self, service_id):
        """Replace the filter rules (an empty list removes the filter)."""
        result = ocs.save_filter(get_service(service_id), json_body())
        db.session.commit()
        return result


@settings.route("/service/<int:service_id>/sessions")
class ServiceSessions(Resource):
    @requires("cgrates_api_access")
    @settings.response(200, "This service's active sessions (fetched on demand)")
    def get(self, service_id):
        """Active sessions of the service's account (spec 05 §6.5)."""
        return ocs.active_sessions(get_service(service_id))


namespaces = [oam, settings]
