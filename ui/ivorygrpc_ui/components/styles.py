"""CSS of the Design and Execute components (step cards, drop targets, compact uploads)."""

STYLE = """
.ig-step { border: 1px solid #e2e8f0; border-radius: 8px; background: white; }
.ig-step.ig-disabled { opacity: .55; background: #f8fafc; }
.ig-step.ig-invalid { border-color: #f87171; }
.ig-step.ig-current { border-color: #2563eb; box-shadow: 0 0 0 2px #bfdbfe; }
.ig-step.ig-done { border-left: 4px solid #22c55e; }
.ig-body { border-left: 2px solid #cbd5e1; margin-left: 14px; padding-left: 10px; }
.ig-dropzone { border: 1px dashed #cbd5e1; border-radius: 6px; color: #94a3b8;
               font-size: 12px; padding: 4px 8px; }
.ig-drop { outline: 2px solid #3b82f6; outline-offset: 1px; background: #eff6ff; }
.ig-upload { box-shadow: none; width: auto; }
.ig-upload .q-uploader__list, .ig-upload .q-uploader__subtitle { display: none; }
.ig-upload .q-uploader__header { border-radius: 6px; }
"""
