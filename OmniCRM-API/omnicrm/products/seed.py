"""Demo catalogue for `omnicrm seed-demo`: the specification's example products (spec 04 §3-4, spec 06 §3, §6),
with their original list spellings, so a new operator can sell something at once.

The plays they name are the reference playbooks; the seed does not require the files to exist yet.
"""
from sqlalchemy import select

from omnicrm import db
from omnicrm.products import service as products
from omnicrm.products.models import Product

DEMO_PRODUCTS = [
    {"product_slug": "Mobile-SIM", "product_name": "Mobile SIM Only", "category": "standalone",
     "service_type": "mobile", "provisioning_play": "play_psim_only",
     "provisioning_json_vars": "{\"iccid\": \"\", \"msisdn\": \"\"}",
     "inventory_items_list": "[\"SIM Card\", 'Mobile Number']", "retail_cost": 0, "retail_setup_cost": 0,
     "wholesale_cost": 3, "wholesale_setup_cost": 1, "contract_days": 0, "residential": True, "business": True,
     "enabled": True, "customer_can_purchase": True, "icon": "fa-solid fa-sim-card",
     "features_list": "[\"Australian Phone Number (04xxx)\", 'Fastest speeds', 'Best coverage', "
                      "'Roaming on the Mainland']",
     "terms": "Must be activated within 6 months. All credit lost if service is not used for 12 months.",
     "comment": "Physical SIM card for use with Mobile Phones"},
    {"product_slug": "prepaid-mobile-20gb", "product_name": "Prepaid Mobile 20GB", "category": "standalone",
     "service_type": "mobile", "enabled": True, "icon": "fa-solid fa-sim-card",
     "comment": "Prepaid mobile SIM with 20GB data, unlimited calls & texts", "retail_cost": "15.00",
     "wholesale_cost": "5.00", "retail_setup_cost": "0.00", "wholesale_setup_cost": "1.00", "contract_days": 30,
     "residential": True, "business": False, "customer_can_purchase": True,
     "available_from": "2025-01-01T00:00:00Z", "available_until": None, "auto_renew": "prompt",
     "allow_auto_renew": True, "inventory_items_list": "[ 'SIM Card', 'Mobile Number' ]",
     "features_list": "20GB High-Speed Data. Unlimited Calls & Texts. EU Roaming Included. No Contract. "
                      "30-Day Expiry",
     "terms": "Credit expires after 30 days. Data, calls, and texts valid only within expiry period. Fair use "
              "policy applies. See website for full terms.",
     "provisioning_play": "play_local_mobile_sim",
     "provisioning_json_vars": "{\"days\": 30, \"data_gb\": 20, \"voice_minutes\": \"unlimited\", "
                               "\"sms_count\": \"unlimited\"}"},
    {"product_slug": "norfone-mobile-prepaid-mini", "product_name": "Norfone Mini Plan", "category": "addon",
     "service_type": "mobile", "provisioning_play": "play_topup_charge_then_action", "provisioning_json_vars": "",
     "inventory_items_list": "[]", "retail_cost": 30, "retail_setup_cost": 0, "wholesale_cost": "5.84",
     "contract_days": 30, "residential": True, "business": False, "enabled": True,
     "customer_can_purchase": True, "auto_renew": "prompt", "icon": "fa-solid fa-sim-card",
     "features_list": ["'8GB of Ultra fast data', 'Unlimited Calls & Texts to Norfone users', "
                       "'100 Minutes of Talk to Australia', '100 SMS to Australia', '30 Day Expiry'"],
     "terms": "Credit expires after 30 days. Once data, voice or sms is used up, you will need to top up to "
              "continue using the service.",
     "comment": "Our smallest plan for light users"},
    {"product_slug": "5gb-data-boost", "product_name": "5GB Data Boost", "category": "addon",
     "service_type": "mobile", "enabled": True, "icon": "fa-solid fa-plus",
     "comment": "Add 5GB extra data to existing mobile service", "retail_cost": "5.00", "wholesale_cost": "1.50",
     "retail_setup_cost": "0.00", "wholesale_setup_cost": "0.00", "contract_days": 0, "residential": True,
     "business": True, "customer_can_purchase": True, "auto_renew": "false", "allow_auto_renew": False,
     "inventory_items_list": "[]", "relies_on_list": "", "features_list": "5GB High-Speed Data. Valid for 7 Days",
     "terms": "Data expires after 7 days or when exhausted. Cannot be refunded.",
     "provisioning_play": "play_topup_charge_then_action",
     "provisioning_json_vars": "{\n    \"data_gb\": 5,\n    \"days\": 7\n}"},
    {"product_slug": "extra-10gb-data", "product_name": "Extra 10GB Data", "category": "addon",
     "service_type": "mobile", "enabled": True, "icon": "fa-solid fa-plus", "retail_cost": "10.00",
     "wholesale_cost": "3.00", "residential": True, "business": True, "customer_can_purchase": True,
     "auto_renew": "prompt", "allow_auto_renew": True, "contract_days": 30,
     "relies_on_list": ["mobile"], "provisioning_play": "play_local_data_addon",
     "provisioning_json_vars": "{\"data_gb\": 10}", "inventory_items_list": [],
     "features_list": "10GB High-Speed Data. Valid for 30 Days", "comment": "Needs an active mobile service"},
    {"product_slug": "Mobile-Topup-5", "product_name": "PAYG £5 Topup", "category": "addon",
     "service_type": "mobile", "provisioning_play": "play_topup_monetary",
     "provisioning_json_vars": "{\"service_id\": \"\"}", "inventory_items_list": [], "retail_cost": 5,
     "retail_setup_cost": 0, "wholesale_cost": 0, "contract_days": 0, "residential": True, "business": False,
     "enabled": True, "customer_can_purchase": True, "icon": "fa-solid fa-coins",
     "features_list": "[‘£5 credit’, ‘Valid for 180 days’]",
     "terms": "Valid for 180 days or until all credit is used. See our website for full rates",
     "comment": "£5 to use for Calls, SMS & Data"},
    {"product_slug": "Bundle-Seniors", "product_name": "Seniors Bundle", "category": "bundle",
     "service_type": "fixed", "provisioning_play": "play_seniors_package",
     "provisioning_json_vars": "{\"IPTV_Service_ID\": \"SeniorBundle\"}", "inventory_items_list": ["'Modem Router'"],
     "retail_cost": 30, "retail_setup_cost": 0, "wholesale_cost": 10, "wholesale_setup_cost": 11,
     "contract_days": 180, "residential": True, "business": False, "enabled": True,
     "icon": "fa-solid fa-person-walking-with-cane",
     "features_list": ["'20Mbps Download', '5Mbps Upload', 'Unlimited Data', 'Home Voice', "
                       "'TV: Extra +£5 per month', '£60 Installation Fee'"],
     "terms": "6 Month Contract, must show senior citizen's card to qualify",
     "comment": "20Mbps/2Mbps GPON Service + IPTV + Phone"},
    {"product_slug": "home-internet-tv-voice", "product_name": "Home Internet + TV + Voice", "category": "bundle",
     "service_type": "internet", "provisioning_play": "play_bundle_internet_tv_voice",
     "inventory_items_list": "[ 'Modem Router' ]", "retail_cost": "79.00", "wholesale_cost": "35.00",
     "retail_setup_cost": "0.00", "wholesale_setup_cost": "45.00", "contract_days": 30, "residential": True,
     "business": True, "enabled": True, "customer_can_purchase": False, "auto_renew": "true",
     "allow_auto_renew": True, "icon": "fa-solid fa-house-signal",
     "features_list": "100Mbps Internet. 60 TV Channels. Home Phone with Unlimited Local Calls",
     "terms": "30 day rolling contract. Modem remains property of the provider.",
     "comment": "Creates three services (internet, IPTV, VoIP) on one billing account"},
    {"product_slug": "fixed-wireless-50", "product_name": "Fixed Wireless 50/20", "category": "standalone",
     "service_type": "internet", "provisioning_play": "play_prov_cpe_mikrotik",
     "inventory_items_list": "[ 'WiFi Router CPE', 'IPv4 Address' ]", "retail_cost": "59.00",
     "wholesale_cost": "22.00", "retail_setup_cost": "99.00", "wholesale_setup_cost": "250.00",
     "contract_days": 30, "residential": True, "business": True, "enabled": True,
     "customer_can_purchase": False, "auto_renew": "true", "allow_auto_renew": True,
     "icon": "fa-solid fa-tower-broadcast",
     "features_list": "50Mbps Download. 20Mbps Upload. Unlimited Data. Static IPv4 Address",
     "terms": "Professional installation required. CPE must be returned on cancellation.",
     "provisioning_json_vars": "{\"download_mbps\": 50, \"upload_mbps\": 20}",
     "comment": "Fixed wireless with a managed MikroTik CPE and a static IPv4 address"},
    {"product_slug": "wifi6-modem-rental", "product_name": "WiFi 6 Modem Rental", "category": "addon",
     "service_type": "internet", "enabled": True, "icon": "fa-solid fa-router",
     "comment": "Add WiFi 6 modem to fiber service - rental", "retail_cost": "10.00", "wholesale_cost": "3.00",
     "retail_setup_cost": "0.00", "wholesale_setup_cost": "45.00", "contract_days": 30, "residential": True,
     "business": True, "customer_can_purchase": True, "auto_renew": "true", "allow_auto_renew": True,
     "inventory_items_list": "[ 'Rental Modem' ]", "relies_on_list": "",
     "features_list": "WiFi 6 (802.11ax). Dual-band 2.4GHz + 5GHz. Up to 40 devices. Parental controls",
     "terms": "Equipment rental. Must be returned on service cancellation or £150 replacement fee applies. "
              "Equipment remains property of provider.",
     "provisioning_play": "play_addon_assign_modem",
     "provisioning_json_vars": "{\n    \"device_type\": \"modem_router\",\n    \"requires_configuration\": true\n}"},
]

# The playbooks the demo catalogue names (Provisioners/plays/<name>.yaml).
DEMO_PLAYS = sorted({p["provisioning_play"] for p in DEMO_PRODUCTS})


def seed_demo():
    """Create the demo products when missing (matched by slug); return {label: count}."""
    created = 0
    for spec in DEMO_PRODUCTS:
        if db.session.scalar(select(Product.product_id).where(Product.product_slug == spec["product_slug"])):
            continue
        products.create_product(spec, check_play=False)
        created += 1
    db.session.flush()
    return {"products": created}
