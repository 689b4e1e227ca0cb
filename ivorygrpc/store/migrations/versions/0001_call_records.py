"""Direct-call records.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_REQUEST_ID = "request_id <> ''"


def upgrade() -> None:
    """Create `call_records` and its indexes."""
    op.create_table(
        "call_records",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("instrument", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("caller", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("output", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("error_type", sa.Text(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_records")),
    )
    op.create_index("ix_call_records_started_at_id", "call_records", ["started_at", "id"])
    op.create_index("ix_call_records_instrument_started_at_id", "call_records",
                    ["instrument", "started_at", "id"])
    op.create_index("ix_call_records_state", "call_records", ["state"])
    op.create_index("uq_call_records_caller_request_id", "call_records",
                    ["caller", "request_id"], unique=True,
                    sqlite_where=sa.text(WITH_REQUEST_ID),
                    postgresql_where=sa.text(WITH_REQUEST_ID))


def downgrade() -> None:
    """Drop `call_records`."""
    op.drop_table("call_records")
