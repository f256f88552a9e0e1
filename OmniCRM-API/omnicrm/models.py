"""Imports every domain's models so the metadata (and Alembic) sees the whole schema."""
from omnicrm.activity.models import *  # noqa: F401,F403
from omnicrm.auth.models import *  # noqa: F401,F403
from omnicrm.billing.models import *  # noqa: F401,F403
from omnicrm.cbc.models import *  # noqa: F401,F403
from omnicrm.communications.models import *  # noqa: F401,F403
from omnicrm.customers.models import *  # noqa: F401,F403
from omnicrm.inventory.models import *  # noqa: F401,F403
from omnicrm.payments.models import *  # noqa: F401,F403
from omnicrm.products.models import *  # noqa: F401,F403
from omnicrm.portal.models import *  # noqa: F401,F403
from omnicrm.provisioning.models import *  # noqa: F401,F403
from omnicrm.services.models import *  # noqa: F401,F403
from omnicrm.topup.models import *  # noqa: F401,F403
from omnicrm.utilities.models import *  # noqa: F401,F403
from omnicrm.db import Base  # noqa: F401
from omnicrm.dashboard.models import *  # noqa: F401,F403
