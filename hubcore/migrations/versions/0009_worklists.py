"""worklists: hand-over case columns (version token, holder, intended destination, contact
attempts, outcome, last suite edit) and the append-only ``case_event`` history

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:30:00

Existing hand-overs start at ``version`` 1 with 0 contact attempts, no holder, no outcome and
``edited_at`` NULL (only ever imported). No stored figure changes, so the data version is not
moved; every worklist write bumps it in its own transaction.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The code lists as they stood at this revision (a migration keeps its own DDL).
NCCIS_CODES = (210, 220, 230, 240, 250, 260, 270, 280, 290, 310, 320, 330, 340, 350, 360, 380,
               381, 410, 430, 440, 450, 460, 530, 540, 550, 610, 615, 616, 619, 620, 630, 640,
               650, 660, 670, 680, 710, 810, 820, 830)
OUTCOMES = ('engaged', 'moved_area', 'refused', 'lost')
ACTIONS = ('refer', 'contact', 'outcome', 'confirm_destination', 'correct_destination',
           'reassign', 'revert', 'offline_import', 'import_conflict')

CHECKS = {
    'version': 'version >= 1',
    'attempts': 'attempts >= 0',
    'attempt_after_referral': 'last_attempt_on IS NULL OR (referred_on IS NOT NULL AND '
                              'last_attempt_on >= referred_on)',
    'intended_code': 'intended_nccis_code IS NULL OR intended_nccis_code IN ('
                     + ', '.join(str(c) for c in NCCIS_CODES) + ')',
    'outcome': 'outcome IS NULL OR outcome IN ('
               + ', '.join(repr(o) for o in OUTCOMES) + ')',
    'outcome_dated': 'outcome IS NULL OR outcome_on IS NOT NULL',
}


def upgrade() -> None:
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('held_by', sqlmodel.sql.sqltypes.AutoString(length=100),
                                      nullable=True))
        batch_op.add_column(sa.Column('held_since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('intended_nccis_code', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('last_attempt_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=12),
                                      nullable=True))
        batch_op.add_column(sa.Column('edited_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('edited_by', sqlmodel.sql.sqltypes.AutoString(length=100),
                                      nullable=True))
        for name, rule in CHECKS.items():
            batch_op.create_check_constraint(name, rule)

    op.create_table(
        'case_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('user', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('handover_id', sa.Integer(), nullable=True),
        sa.Column('leaver_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('urn', sa.Integer(), nullable=False),
        sa.Column('before', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('after', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('reverted_by', sa.Integer(), nullable=True),
        sa.CheckConstraint('action IN (' + ', '.join(repr(a) for a in ACTIONS) + ')',
                           name=op.f('ck_case_event_action')),
        sa.ForeignKeyConstraint(['handover_id'], ['handover.id'],
                                name=op.f('fk_case_event_handover_id_handover')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event')),
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_handover_id'), ['handover_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_case_event_leaver_key'), ['leaver_key'],
                              unique=False)
        batch_op.create_index('ix_case_event_urn_at', ['urn', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index('ix_case_event_urn_at')
        batch_op.drop_index(batch_op.f('ix_case_event_leaver_key'))
        batch_op.drop_index(batch_op.f('ix_case_event_handover_id'))
    op.drop_table('case_event')
    with op.batch_alter_table('handover', schema=None) as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(op.f(f'ck_handover_{name}'), type_='check')
        for column in ('edited_by', 'edited_at', 'outcome', 'last_attempt_on', 'attempts',
                       'intended_nccis_code', 'held_since', 'held_by', 'version'):
            batch_op.drop_column(column)
