"""US zip codes, with their place and coordinates, in the database.

Until now every web process loaded all ~42,800 zip codes from the `zipcodes`
package into a dict: 145 MB of each worker's 200. A table answers a lookup by
its primary key in microseconds and holds the data once, for every process.
The rows come from the packaged data (zip codes without coordinates are left
out, as before), inserted in bulk: this runs in every test schema reset.
"""
import csv
import io

import zipcodes
from peewee import CharField, DoubleField, Model, PostgresqlDatabase

COLUMNS = ("zip", "city", "state", "latitude", "longitude")


class Base(Model):
    class Meta:
        legacy_table_names = False


class ZipCode(Base):
    zip = CharField(max_length=5, primary_key=True)
    city = CharField()
    state = CharField(max_length=2)
    latitude = DoubleField()
    longitude = DoubleField()


def _rows():
    for row in zipcodes.list_all():
        if row.get("lat") and row.get("long"):
            yield (row["zip_code"], row["city"], row["state"], float(row["lat"]),
                   float(row["long"]))


def _copy_into_postgres(db, rows):
    # COPY is several times faster than even batched INSERTs at this size.
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    text.seek(0)
    db.cursor().copy_expert(
        f'COPY zip_code ({", ".join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)', text)


def up(migrator, db):
    db.bind([ZipCode])
    ZipCode.create_table()
    rows = list(_rows())
    if isinstance(db, PostgresqlDatabase):
        _copy_into_postgres(db, rows)
    else:
        db.cursor().executemany(
            f'INSERT INTO zip_code ({", ".join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)', rows)


def down(migrator, db):
    db.bind([ZipCode])
    ZipCode.drop_table()
