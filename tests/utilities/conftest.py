"""Records the search tests need from other domains, written straight through the models."""
import pytest

from omnicrm import db
from omnicrm.inventory.models import Inventory, InventoryTemplate
from omnicrm.services.models import Service


@pytest.fixture
def add_service(app):
    def factory(customer_id, service_name, service_uuid, **fields):
        with app.app_context():
            service = Service(customer_id=customer_id, service_name=service_name, service_uuid=service_uuid,
                              **fields)
            db.session.add(service)
            db.session.commit()
            return service.service_id
    return factory


@pytest.fixture
def add_inventory(app):
    def factory(itemtext1, itemtext2=None, customer_id=None, item="SIM Card", **fields):
        with app.app_context():
            template = db.session.query(InventoryTemplate).filter_by(item=item).first()
            if template is None:
                template = InventoryTemplate(item=item)
                db.session.add(template)
                db.session.flush()
            row = Inventory(item=item, inventory_template_id=template.inventory_template_id, itemtext1=itemtext1,
                            itemtext2=itemtext2, customer_id=customer_id, **fields)
            db.session.add(row)
            db.session.commit()
            return row.inventory_id
    return factory
