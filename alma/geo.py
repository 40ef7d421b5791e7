"""Zip codes, states and distances.

The zip codes (about 42,800, with coordinates) live in the zip_code table,
filled by a migration from the `zipcodes` package: held once by the database,
not once per process (they took 145 MB of every web worker).
"""
import math
from typing import NamedTuple

from peewee import CharField, DoubleField

from alma.db import BaseModel

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.05


class ZipCode(BaseModel):
    zip = CharField(max_length=5, primary_key=True)
    city = CharField()
    state = CharField(max_length=2)
    latitude = DoubleField()
    longitude = DoubleField()


MODELS = [ZipCode]


class Place(NamedTuple):
    zip: str
    city: str
    state: str
    latitude: float
    longitude: float


_COLUMNS = (ZipCode.zip, ZipCode.city, ZipCode.state, ZipCode.latitude, ZipCode.longitude)


# Zip codes change only with a migration (and a deploy's restart), and a search near
# one asks for it on every page: each process keeps those it has looked up (~200 bytes
# each), so a search makes one round trip less.
ZIPS_KEPT = 5000
_looked_up = {}


def lookup_zip(code):
    """The place for a 5-digit zip code, or None (anything else is never looked up)."""
    if not (isinstance(code, str) and len(code) == 5 and code.isascii() and code.isdigit()):
        return None
    if code in _looked_up:
        return _looked_up[code]
    row = ZipCode.select(*_COLUMNS).where(ZipCode.zip == code).tuples().first()
    if len(_looked_up) >= ZIPS_KEPT:
        _looked_up.clear()
    place = _looked_up[code] = Place(*row) if row else None
    return place


def zips_by_state():
    """{state: [Place, …] in zip order}, every zip code (for building the demo)."""
    by_state = {}
    for row in ZipCode.select(*_COLUMNS).order_by(ZipCode.state, ZipCode.zip).tuples():
        by_state.setdefault(row[2], []).append(Place(*row))
    return by_state


def miles_between(lat1, lon1, lat2, lon2):
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


class BoundingBox(NamedTuple):
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float
    # Degrees of longitude are shorter away from the equator; within a box
    # this small a flat projection is accurate to well under a mile.
    lon_scale: float


def bounding_box(lat, lon, miles):
    dlat = miles / MILES_PER_DEGREE_LATITUDE
    lon_scale = max(math.cos(math.radians(lat)), 0.01)
    dlon = dlat / lon_scale
    return BoundingBox(lat - dlat, lat + dlat, lon - dlon, lon + dlon, lon_scale)
