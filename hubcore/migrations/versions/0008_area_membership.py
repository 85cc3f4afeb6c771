"""area_membership: LA districts in English regions, combined authorities and LSIP areas

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:00:00

One row per LA district, kind of parent area (region E12, combined authority E47, LSIP area
E69) and edition of the official lookup it came from (``hubcore import area-lookup``). The
table starts empty, so no stored figure changes and the data version is not moved; the
import that fills it bumps it in its own transaction.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'area_membership',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('child_code', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column('child_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('parent_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('parent_code', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column('parent_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('vintage', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.CheckConstraint("parent_kind IN ('region', 'cauth', 'lsip')",
                           name=op.f('ck_area_membership_parent_kind')),
        sa.CheckConstraint(
            "(length(child_code) = 9 AND (child_code LIKE 'E06%' OR child_code LIKE 'E07%' OR "
            "child_code LIKE 'E08%' OR child_code LIKE 'E09%' OR child_code LIKE 'X06%' OR "
            "child_code LIKE 'X07%'))",
            name=op.f('ck_area_membership_child_code')),
        sa.CheckConstraint(
            "(parent_kind = 'region' AND parent_code LIKE 'E12%') OR (parent_kind = 'cauth' "
            "AND parent_code LIKE 'E47%') OR (parent_kind = 'lsip' AND parent_code LIKE 'E69%')",
            name=op.f('ck_area_membership_parent_code')),
        sa.CheckConstraint('length(parent_code) = 9',
                           name=op.f('ck_area_membership_parent_code_length')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_area_membership')),
        sa.UniqueConstraint('child_code', 'parent_kind', 'vintage',
                            name='uq_area_membership_key'),
    )
    with op.batch_alter_table('area_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_membership_parent_code'), ['parent_code'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('area_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_membership_parent_code'))
    op.drop_table('area_membership')
