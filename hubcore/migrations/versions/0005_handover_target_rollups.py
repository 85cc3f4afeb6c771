"""hand-over summaries keep the receiving organisation (NCS and LA tracking reported apart);
NEET status per young person at DfE's measurement points as a summary

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:40:00

The ``handovers`` and ``ncs_handovers`` packs of :mod:`hubcore.rollups` gain a
``to_org_type`` column: the transitions report splits the hand-over funnel by receiving
organisation. A new rollup, ``neet_points``, counts every leaver once at month ends (October to
February of the first year after leaving, December to February of the second and third), by the
category of the record current then; another, ``sustained``, counts leavers by the destination they
sustained over the first two terms. Packs are derived data, so they are counted from the records.
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from hubcore import rollups

    names = ["handovers", "ncs_handovers", "neet_points", "sustained"]
    rollups.refresh(op.get_bind(), names=names)


def downgrade() -> None:
    # The older layout cannot be rebuilt from here; `hubcore db refresh-rollups` at the older
    # revision recounts them. Removing the packs makes the older code say so clearly.
    op.execute(
        "DELETE FROM rollup_pack WHERE name IN "
        "('handovers', 'ncs_handovers', 'neet_points', 'sustained')"
    )
