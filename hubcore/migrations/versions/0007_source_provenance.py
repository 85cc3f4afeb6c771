"""source_provenance: where each official open file stored by ``hubcore fetch`` came from

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:15:00

One row per file a fetch imported: settings name and import kind, address, edition, download
and import times (UTC), licence and attribution, SHA-256 of the bytes imported, and the LAs
(GSS codes) it was fetched for. The table starts empty, so no stored figure changes and the
data version is not moved; the fetch's own import bumps it in the transaction that writes
these rows.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'source_provenance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('edition', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('downloaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('licence', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('attribution', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('la_codes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_source_provenance')),
    )
    with op.batch_alter_table('source_provenance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_provenance_kind'), ['kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('source_provenance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_provenance_kind'))
    op.drop_table('source_provenance')
