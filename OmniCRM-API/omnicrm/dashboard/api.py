"""/crm/dashboard: the staff home page's figures in one call."""
from flask import current_app
from flask_restx import Namespace, Resource

from omnicrm.auth.identity import current_identity
from omnicrm.auth.rbac import requires
from omnicrm.dashboard import service

ns = Namespace("dashboard", description="Staff home dashboard figures", path="/dashboard")


def _threshold():
    value = current_app.config["CRM"].get_path("dashboard.low_stock_threshold", service.DEFAULT_LOW_STOCK)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return service.DEFAULT_LOW_STOCK


@ns.route("", "/")
class Dashboard(Resource):
    @requires("view_customer")
    @ns.response(200, "{active_services, new_customers, revenue{this_month, last_month, trend_percent, by_month}, "
                      "unpaid, failed_provisioning, low_stock}: each with `link`, the console list behind it")
    def get(self):
        """Home dashboard: each figure the caller may open, with the filtered list it links to."""
        identity = current_identity()
        return service.dashboard(allowed=identity.has, low_stock_threshold=_threshold())


namespaces = [ns]
