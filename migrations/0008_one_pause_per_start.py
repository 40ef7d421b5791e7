"""One pause per membership per start date: a pause confirmed twice at once is one pause."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("membership_pause", ("membership_id", "starts_on"),
                                        unique=True))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("membership_pause",
                                         "membership_pause_membership_id_starts_on"))
