"""/crm/utilities: global search (spec 05 §9)."""
from flask import current_app, request
from flask_restx import Namespace, Resource, fields, reqparse

from omnicrm.auth.identity import customer_scope
from omnicrm.auth.rbac import requires
from omnicrm.common.listing import pagination_model
from omnicrm.common.validation import Checker
from omnicrm.utilities.search import search_everything

ns = Namespace("utilities", description="Global search", path="/utilities")

search_parser = reqparse.RequestParser()
search_parser.add_argument("search", type=str, required=True, location="args",
                           help="Name or word prefix, e-mail part, phone in any form, UUID/ICCID/MSISDN fragment")
search_parser.add_argument("page", type=int, default=1, location="args")
search_parser.add_argument("per_page", type=int, default=10, location="args")
search_parser.add_argument("search_closed_records", type=str, default="false", location="args",
                           help="true: also records of customers that are not Open")
result_model = ns.model("SearchResult", {
    "id": fields.Integer, "name": fields.String, "customer_id": fields.Integer,
    "type": fields.String(enum=["customer", "contact", "site", "service", "inventory"])})
results_model = ns.model("SearchResults", {
    "data": fields.List(fields.Nested(result_model)),
    "pagination": fields.Nested(ns.model("SearchPagination", {
        **pagination_model,
        "total_is_estimate": fields.Boolean(description="present (true) when counting stopped at 1000 matches")}))})


@ns.route("/search_everything")
class SearchEverything(Resource):
    @requires("view_customer", own="view_own_customer")
    @ns.expect(search_parser)
    @ns.response(200, "Matches across customers, contacts, sites, services and inventory", results_model)
    @ns.response(400, "search missing or paging invalid")
    def get(self):
        """Search everything: customers, contacts, sites, services, inventory (10 per page by default)."""
        check = Checker(request.args.to_dict())
        query = check.string("search", required=True, max_length=200)
        page = check.integer("page", minimum=1, maximum=10**6) or 1
        per_page = check.integer("per_page", minimum=1, maximum=100) or 10
        include_closed = check.boolean("search_closed_records") or False
        check.done()
        region = current_app.config["CRM"].get_path("customers.default_phone_region") or "GB"
        return search_everything(query, page, per_page, include_closed=include_closed,
                                 customer_id=customer_scope(), region=region.upper())


namespaces = [ns]
