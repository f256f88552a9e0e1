"""Address and location columns shared by customer sites and located inventory (CPEs, homes passed)."""
from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column


class PostalAddress:
    address_line_1: Mapped[str | None] = mapped_column(String(255))
    address_line_2: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(100))
    zip_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    latitude = mapped_column(Numeric(10, 7))
    longitude = mapped_column(Numeric(10, 7))
    google_maps_place_id: Mapped[str | None] = mapped_column(String(255))
    plus_code: Mapped[str | None] = mapped_column(String(50))  # Open Location Code, computed from lat/long
