"""Demo data of the customers domain for `omnicrm seed-demo`: the spec's example customers (spec 01 §1.5,
spec 02 §5.4, spec 01 §4.2, spec 03 §6.4)."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.customers import service
from omnicrm.customers.models import Customer

DEMO_CUSTOMERS = [
    {
        "customer": {
            "customer_name": "Compañía ABC", "customer_account_type": "Business", "customer_payment_type": "postpaid",
            "tax_identifier": "GB123456789", "contract_start_date": "2025-01-01", "contract_end_date": "2027-12-31",
            "contacts": [
                {"contact_firstname": "John", "contact_lastname": "Smith", "contact_email": "john.smith@example.com",
                 "contact_phone": "+44 7700 900123", "contact_types": "Billing"},
                {"contact_firstname": "Jane", "contact_lastname": "Doe", "contact_email": "jane.doe@example.com",
                 "contact_phone": "+44 7700 900456", "contact_types": "Technical"},
            ],
            "sites": [
                {"site_name": "Oficina Principal", "address_line_1": "123 Main Street", "city": "London",
                 "state": "Greater London", "zip_code": "SW1A 1AA", "country": "United Kingdom",
                 "latitude": 51.5074, "longitude": -0.1278, "google_maps_place_id": "ChIJdd4hrwug2EcRmSrV3Vo6lll"},
                {"site_name": "Oficina Sucursal", "address_line_1": "1 Canada Square", "city": "London",
                 "state": "Greater London", "zip_code": "E14 5AB", "country": "United Kingdom",
                 "latitude": 51.5049, "longitude": -0.0195},
            ],
        },
        "attributes": {"external_crm_id": "SF-12345", "billing_method": "quarterly", "support_tier": "premium",
                       "account_manager": "john.smith@company.com"},
        "tags": [{"tag_text": "Cliente VIP", "tag_hex_color": "FFD700", "tag_link": "https://example.com/vip",
                  "tag_active_date": "2025-01-01 00:00:00", "tag_deactivate_date": "2099-12-31 23:59:59"}],
    },
    {
        "customer": {
            "customer_name": "John Smith", "customer_account_type": "Individual", "customer_payment_type": "prepaid",
            "contacts": [{"contact_firstname": "John", "contact_lastname": "Smith",
                          "contact_email": "john.smith@example.net", "contact_phone": "07700 900789",
                          "contact_types": "Primary,Billing"}],
            "sites": [{"site_name": "Home", "address_line_1": "12 Farm Lane", "city": "Hexham", "state": "England",
                       "zip_code": "NE46 1AA", "country": "United Kingdom", "latitude": 54.9714,
                       "longitude": -2.1016,
                       "address_notes": "Turn left at the red barn, 500 m after the cattle grid"}],
        },
        "attributes": {"preferred_contact_method": "email", "gdpr_consent_date": "2025-01-01"},
        "tags": [{"tag_text": "Very Overdue Invoice", "tag_hex_color": "FF0000",
                  "tag_active_date": "2025-01-01 00:00:00"}],
    },
]


def seed_demo():
    """Create the demo customers that are missing (matched by name); return {label: count}."""
    created = 0
    for demo in DEMO_CUSTOMERS:
        name = demo["customer"]["customer_name"]
        if db.session.scalar(select(Customer.customer_id).where(Customer.customer_name == name)):
            continue
        customer = service.create_customer(dict(demo["customer"]))
        for attribute_name, value in demo["attributes"].items():
            service.put_attribute({"customer_id": customer.customer_id, "attribute_name": attribute_name,
                                   "attribute_value": value})
        for tag in demo["tags"]:
            service.create_tag({"customer_id": customer.customer_id, **tag})
        created += 1
    return {"customers": created}
