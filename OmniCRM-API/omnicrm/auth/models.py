"""Users, roles, permissions and API keys: the RBAC model of spec 07 §5 and spec 01 §3."""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnicrm.db import Base, UTCDateTime, utcnow

user_roles = Table(
    "User_Role", Base.metadata,
    Column("user_id", Integer, ForeignKey("User.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("Role.id", ondelete="CASCADE"), primary_key=True, index=True),
)

role_permissions = Table(
    "Role_Permission", Base.metadata,
    Column("role_id", Integer, ForeignKey("Role.id", ondelete="CASCADE"), primary_key=True),
    Column("permission_id", Integer, ForeignKey("Permission.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Permission(Base):
    __tablename__ = "Permission"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))


class Role(Base):
    __tablename__ = "Role"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    permissions = relationship(Permission, secondary=role_permissions, lazy="selectin", order_by=Permission.name)
    users = relationship("User", secondary=user_roles, back_populates="roles", lazy="selectin")


class User(Base):
    __tablename__ = "User"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password: Mapped[str] = mapped_column(String(255))  # bcrypt hash, never the password itself
    first_name: Mapped[str] = mapped_column(String(100), default="")
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    phone_number: Mapped[str | None] = mapped_column(String(50))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("Customer_Contact.contact_id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    deleted_at = mapped_column(UTCDateTime)
    pending_email: Mapped[str | None] = mapped_column(String(255))
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    is_2fa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(255))  # Fernet token under the encryption key (auth.twofa)
    backup_codes: Mapped[str | None] = mapped_column(Text)  # JSON list of HMAC-SHA256 hashes, consumed on use
    force_password_change: Mapped[bool] = mapped_column(Boolean, default=False)
    login_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until = mapped_column(UTCDateTime)
    last_login = mapped_column(UTCDateTime)
    last_login_ip: Mapped[str | None] = mapped_column(String(64))
    # Set when an administrator sets the password: that password works for one login only (spec 02 §8).
    temporary_password_used_at = mapped_column(UTCDateTime)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    roles = relationship(Role, secondary=user_roles, back_populates="users", lazy="selectin",
                         order_by=Role.name)
    contact = relationship("Contact", lazy="joined")

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class ApiKey(Base):
    """A database-managed API key (spec 01 §3): only the SHA-256 of the key is stored."""

    __tablename__ = "Api_Key"
    api_key_id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_last4: Mapped[str] = mapped_column(String(8))
    permissions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of permission names
    expiry_date = mapped_column(UTCDateTime)
    created = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"))
    last_used = mapped_column(UTCDateTime)
    # A subscriber's own key (self-care portal, spec 07 §6.13): it acts as that user, confined to its customer, with
    # at most the owner's permissions; None for the operators' integration keys.
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="CASCADE"), index=True)
    creator = relationship(User, lazy="joined", foreign_keys=[created_by])


class UserSession(Base):
    """One login (spec 02 §8 session management): every token of the login names it (`sid` claim), so ending the
    row ends its access and refresh tokens at once. Remember-me fixes `expires` at login; refreshing never moves it."""

    __tablename__ = "User_Session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("User.id", ondelete="CASCADE"), index=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(255))  # the browser's User-Agent, cut to fit
    created = mapped_column(UTCDateTime, default=utcnow)
    last_used = mapped_column(UTCDateTime, default=utcnow)
    expires = mapped_column(UTCDateTime)
    ended = mapped_column(UTCDateTime, index=True)  # logout, revocation or a password/2FA change


class RevokedToken(Base):
    """Revoked JWT ids when Redis is not configured (Redis keeps them with a TTL otherwise)."""

    __tablename__ = "Revoked_Token"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires = mapped_column(UTCDateTime, index=True)


class PasswordResetToken(Base):
    __tablename__ = "Password_Reset_Token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("User.id", ondelete="CASCADE"), index=True)
    expires = mapped_column(UTCDateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class EmailVerificationToken(Base):
    """A link e-mailed to a new or changed address; the address counts only once the link is followed."""

    __tablename__ = "Email_Verification_Token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("User.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(255))
    expires = mapped_column(UTCDateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
