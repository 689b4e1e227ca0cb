"""A pure-Python model of workflow editing (no UI, no gRPC): the step tree, argument
text, new steps, and a draft with undo/redo."""

from .arguments import format_argument, parse_argument
from .editor import WorkflowEditor
from .steps import BLOCK_KINDS, describe, names_in, new_block, new_call, save_as_labels
from .tree import PHASES, EditError, Placed, Slot, walk

__all__ = ["BLOCK_KINDS", "PHASES", "EditError", "Placed", "Slot", "WorkflowEditor",
           "describe", "format_argument", "names_in", "new_block", "new_call", "parse_argument",
           "save_as_labels", "walk"]
