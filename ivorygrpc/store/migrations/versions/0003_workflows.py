"""The workflow library: workflows, their immutable versions and who calls whom.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-13
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `workflows`, `workflow_versions` and `workflow_calls` with their indexes."""
    op.create_table(
        "workflows",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("search_name", sa.Text(), nullable=False),
        sa.Column("search_display_name", sa.Text(), nullable=False),
        sa.Column("search_description", sa.Text(), nullable=False),
        sa.Column("deck", sa.Text(), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_workflows")),
    )
    op.create_index("ix_workflows_updated_at_name", "workflows", ["updated_at", "name"])
    op.create_index("ix_workflows_deck", "workflows", ["deck"])
    op.create_table(
        "workflow_versions",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["name"], ["workflows.name"],
                                name=op.f("fk_workflow_versions_name_workflows"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_workflow_versions")),
    )
    op.create_table(
        "workflow_calls",
        sa.Column("caller", sa.Text(), nullable=False),
        sa.Column("callee", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["caller"], ["workflows.name"],
                                name=op.f("fk_workflow_calls_caller_workflows"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("caller", "callee", name=op.f("pk_workflow_calls")),
    )
    op.create_index("ix_workflow_calls_callee", "workflow_calls", ["callee"])


def downgrade() -> None:
    """Drop `workflow_calls`, `workflow_versions` and `workflows`."""
    op.drop_table("workflow_calls")
    op.drop_table("workflow_versions")
    op.drop_table("workflows")
