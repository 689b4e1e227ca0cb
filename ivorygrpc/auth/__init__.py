"""Users, roles, bearer tokens and the per-rpc role policy (no grpc here)."""
