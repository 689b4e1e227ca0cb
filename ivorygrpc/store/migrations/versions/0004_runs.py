"""Runs: the runs, their plans and their events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_REQUEST_ID = "request_id <> ''"


def upgrade() -> None:
    """Create `runs`, `run_plans`, `run_events` and `run_event_mark` (seeded with 0)."""
    op.create_table(
        "runs",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("workflow", sa.Text(), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("submitter", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("mode", sa.JSON(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("pause", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("error", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index("ix_runs_state_position", "runs", ["state", "position"])
    op.create_index("ix_runs_created_at_id", "runs", ["created_at", "id"])
    op.create_index("ix_runs_workflow", "runs", ["workflow"])
    op.create_index("uq_runs_submitter_request_id", "runs", ["submitter", "request_id"],
                    unique=True, sqlite_where=sa.text(WITH_REQUEST_ID),
                    postgresql_where=sa.text(WITH_REQUEST_ID))
    op.create_table(
        "run_plans",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_plans_run_id_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_plans")),
    )
    op.create_table(
        "run_events",
        sa.Column("sequence", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_run_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_run_events_run_id_sequence", "run_events", ["run_id", "sequence"])
    mark = op.create_table(
        "run_event_mark",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_event_mark")),
    )
    op.bulk_insert(mark, [{"id": 1, "sequence": 0}])


def downgrade() -> None:
    """Drop the run tables."""
    op.drop_table("run_event_mark")
    op.drop_table("run_events")
    op.drop_table("run_plans")
    op.drop_table("runs")
