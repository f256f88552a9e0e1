"""First admin and demo data. Each domain contributes its demo rows through `DEMO_SEEDERS`."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import Role, User
from omnicrm.auth.passwords import hash_password
from omnicrm.auth.sessions import end_all
from omnicrm.auth.permissions import sync_catalogue

# Functions returning {"label": count}; domains register theirs in `omnicrm.seed_registry`.
DEMO_SEEDERS = []


def ensure_admin(email, password, username=None):
    """Create the admin user, or reset its password and role when it already exists."""
    sync_catalogue(db.session)
    admin_role = db.session.scalars(select(Role).where(Role.name == "admin")).one()
    user = db.session.scalars(select(User).where(User.email == email.lower())).first()
    created = user is None
    if created:
        user = User(username=username or email.split("@")[0], email=email.lower(), first_name="System",
                    last_name="Administrator", email_verified=True)
        db.session.add(user)
    user.password = hash_password(password)
    if not created:  # a reset password ends every session, as any other password change does
        end_all(user.id)
    user.deleted = False
    user.active = True
    if admin_role not in user.roles:
        user.roles.append(admin_role)
    db.session.commit()
    return user, created


def seed_demo():
    from omnicrm import seed_registry  # noqa: F401 - registers the domains' seeders
    summary = {}
    for seeder in DEMO_SEEDERS:
        summary.update(seeder())
        db.session.commit()
    return summary
