"""the small-area NEET map counts young people at DfE's measurement points (a summary by home
small area); the destination mix reads the NEET points summary

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:20:00

A new rollup of :mod:`hubcore.rollups`, ``neet_points_by_area``, counts every leaver once at
the month ends of the first year after leaving (October to February) by home small area, cohort
and the category of the record current then. The destination mix needs no new summary: its
point, the end of December, is one of ``neet_points``'s. Packs are derived data, so they are
counted from the records.
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from hubcore import rollups

    rollups.refresh(op.get_bind(), names=["neet_points_by_area"])


def downgrade() -> None:
    # Older code does not read this summary; removing it leaves nothing stale behind.
    op.execute("DELETE FROM rollup_pack WHERE name = 'neet_points_by_area'")
