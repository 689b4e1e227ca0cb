"""One servicer per proto service: parse, delegate, convert."""
