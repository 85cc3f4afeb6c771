"""encounter kind and mode checks as OR chains (same rule, faster bulk inserts on SQLite)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:05:00
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


# The code lists as they stood at this revision (hubcore.codes may grow later, with its own
# migration).
KINDS = ('talk', 'mentoring', 'enterprise', 'workplace_visit', 'work_shadowing',
         'work_experience', 'provider_encounter', 'he_visit', 'guidance_meeting', 'lmi_session',
         'curriculum_link')
MODES = ('in_person', 'virtual', 'mixed')


def _or_chain(column: str, values) -> str:
    # Written out here, not imported from hubcore.models: a migration keeps its own DDL.
    return " OR ".join(f"{column} = {v!r}" for v in values)


def _in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace(render) -> None:
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_encounter_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_encounter_mode'), type_='check')
        batch_op.create_check_constraint('kind', render('kind', KINDS))
        batch_op.create_check_constraint('mode', render('mode', MODES))


def upgrade() -> None:
    _replace(_or_chain)


def downgrade() -> None:
    _replace(_in_list)
