"""Onboarding calls in local time (issue 13, item 6): the zone an applicant chose for their
call, and a team member's own zone, each an IANA name (alma/membership/zones.py).

New columns: membership_application.time_zone, user.time_zone (both null: until chosen,
the applicant's practice state's zone, and Eastern for the team). Only adds.

Down drops the two columns.
"""


def up(migrator, db):
    db.execute_sql('ALTER TABLE "membership_application" ADD COLUMN "time_zone" VARCHAR(64)')
    db.execute_sql('ALTER TABLE "user" ADD COLUMN "time_zone" VARCHAR(64)')


def down(migrator, db):
    migrator.migrate(migrator.drop_column("membership_application", "time_zone"),
                     migrator.drop_column("user", "time_zone"))
