"""encounter natural key unique (duplicates removed, lowest id kept) and the data version

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:30:00

Every other table with a natural key has had it as a primary key or UNIQUE constraint since
0001; ``encounter`` had none, and concurrent imports could store the same encounter twice.
Before the unique index is built, rows repeating an encounter's key are counted and reported
(count and one example, on stderr and as an audit event), then removed keeping the lowest id,
the row stored first (what an import matched against), and the summary packs of the schools
concerned are recounted. Duplicates made by concurrent imports are identical apart from their
id, so nothing is lost; the audit event keeps the count for anyone who needs to check.

The unique index starts with (urn, date), so it replaces the old ``ix_encounter_urn_date``:
imports still build one index on ``encounter``, not two.
"""
import datetime as dt
import sys

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The key as it stood at this revision (written out here: a migration keeps its own DDL). SQL
# counts NULLs as distinct in a UNIQUE index, so the nullable key columns go through COALESCE.
KEY_SQL = ("urn", "date", "kind", "benchmark", "year_from", "year_to",
           "coalesce(employer_id, 0)", "coalesce(provider_urn, 0)",
           "coalesce(provider_name, '')")


def _remove_duplicates(bind) -> None:
    key = ", ".join(KEY_SQL)
    groups = bind.execute(sa.text(
        f"SELECT count(*) - 1, min(id), urn, date, kind, benchmark FROM encounter "
        f"GROUP BY {key} HAVING count(*) > 1"
    )).all()
    if not groups:
        return
    extra = sum(int(g[0]) for g in groups)
    _n, kept, urn, date, kind, benchmark = groups[0]
    detail = (
        f"{extra} encounter rows repeated the natural key of another ({len(groups)} keys); "
        f"removed, keeping the lowest id of each. Example: URN {urn}, {date}, {kind}, "
        f"benchmark {benchmark} (kept id {kept})"
    )
    print(f"migration 0004: {detail}", file=sys.stderr)
    bind.execute(sa.text(
        f"DELETE FROM encounter WHERE id NOT IN (SELECT min(id) FROM encounter GROUP BY {key})"
    ))
    from hubcore import rollups

    rollups.refresh_for_tables(bind, ["encounter"], {int(g[2]) for g in groups})
    audit = sa.table(
        'audit_event', sa.column('at', sa.DateTime()), sa.column('user', sa.String()),
        sa.column('role', sa.String()), sa.column('action', sa.String()),
        sa.column('subject', sa.String()), sa.column('rows', sa.Integer()),
        sa.column('detail', sa.String()),
    )
    bind.execute(audit.insert().values(
        at=dt.datetime.now(dt.UTC), user='migration', role='admin', action='deduplicate',
        subject='encounter', rows=extra, detail=detail,
    ))


def upgrade() -> None:
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_data_version_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    bind = op.get_bind()
    _remove_duplicates(bind)
    op.create_index('uq_encounter_key', 'encounter', [sa.text(c) for c in KEY_SQL], unique=True)
    # Its first columns are urn and date: the old (urn, date) index would only slow imports.
    op.drop_index('ix_encounter_urn_date', table_name='encounter')
    # Start at 1: a server's caches filled before the upgrade (version 0, no table) go stale.
    bind.execute(sa.text("INSERT INTO data_version (id, version) VALUES (1, 1)"))


def downgrade() -> None:
    op.create_index('ix_encounter_urn_date', 'encounter', ['urn', 'date'])
    op.drop_index('uq_encounter_key', table_name='encounter')
    op.drop_table('data_version')
