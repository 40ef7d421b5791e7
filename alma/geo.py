"""Zip codes, states and distances, from packaged data (no network).

The `zipcodes` package carries about 42,800 US zip codes with coordinates;
we load them once per process into a dict.
"""
import functools
import math
from typing import NamedTuple

import zipcodes

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.05


class Place(NamedTuple):
    zip: str
    city: str
    state: str
    latitude: float
    longitude: float


@functools.cache
def zip_table():
    table = {}
    for row in zipcodes.list_all():
        if not row.get("lat") or not row.get("long"):
            continue
        table[row["zip_code"]] = Place(
            row["zip_code"], row["city"], row["state"], float(row["lat"]), float(row["long"]))
    return table


def lookup_zip(code):
    """The place for a 5-digit zip code, or None."""
    return zip_table().get(code)


def zips_by_state():
    by_state = {}
    for place in zip_table().values():
        by_state.setdefault(place.state, []).append(place)
    for places in by_state.values():
        places.sort()
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
