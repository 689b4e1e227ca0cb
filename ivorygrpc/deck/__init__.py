"""The only place that inspects user objects: introspect -> model -> descriptors."""
