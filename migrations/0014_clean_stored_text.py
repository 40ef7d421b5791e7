"""Clean text stored before input was cleaned (alma/inputs.py): names and other one-line
fields on one line, and no control, bidi-override or invisible characters anywhere.

A name typed with a line break broke every email subject it went into; a U+202E in a
name reversed the text shown after it. New input can't hold them any more; this makes
the rows already stored the same. The rules are copied here, not imported, so that the
migration stays what it was when it ran.
"""
import re
import unicodedata

_INVISIBLE = ([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
              + [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
              + [0x200B, *range(0x2060, 0x2065), 0xFEFF, 0x00AD, 0x180E])
_REMOVE = dict.fromkeys(_INVISIBLE)
_LINE_ENDS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_SPACES = re.compile(r"\s+")


def _clean(text):
    return unicodedata.normalize("NFC", _LINE_ENDS.sub("\n", text).translate(_REMOVE))


def _one_line(text):
    return _SPACES.sub(" ", _clean(text).replace("\t", " ")).strip()


# (table, one-line columns, multi-line columns)
COLUMNS = [
    ("provider", ["first_name", "last_name", "pronouns", "office_city", "phone"],
     ["bio", "approach", "cancellation_policy"]),
    ("membership_application", ["name", "phone", "practice_name", "practice_city"],
     ["about_practice"]),
    ("user", ["name"], []),
    ("client", ["name", "phone"], []),
    ("outside_client", ["name", "email", "phone"], ["notes"]),
    ("program_client", ["first_name", "last_name", "address", "city"], []),
    ("consultation_request", ["member_id", "name", "phone"],
     ["concerns", "availability", "decline_note"]),
    ("match_request", ["name", "phone"], []),  # copied from client by 0013
]
BATCH = 2000


def up(migrator, db):
    for table, lines, texts in COLUMNS:
        columns = ", ".join(f'"{c}"' for c in ["id", *lines, *texts])
        last = 0
        while True:
            rows = db.execute_sql(
                f'SELECT {columns} FROM "{table}" WHERE id > {db.param} ORDER BY id LIMIT {BATCH}',
                (last,)).fetchall()
            if not rows:
                break
            for row in rows:
                row_id, values = row[0], row[1:]
                cleaned = [_one_line(v) if isinstance(v, str) and i < len(lines)
                           else _clean(v) if isinstance(v, str) else v
                           for i, v in enumerate(values)]
                if cleaned != list(values):
                    sets = ", ".join(f'"{c}" = {db.param}' for c in [*lines, *texts])
                    db.execute_sql(f'UPDATE "{table}" SET {sets} WHERE id = {db.param}',
                                   (*cleaned, row_id))
            last = rows[-1][0]


def down(migrator, db):
    """Nothing to undo: what was removed was never meant to be there."""
