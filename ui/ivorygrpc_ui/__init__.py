"""The ivorygrpc browser UI: a NiceGUI app that talks to the server only through gRPC.

Layout (each module's docstring documents its interface):

- `client/` -- the only package making calls: it alone imports ``grpc`` and the service
  stubs (``ivorygrpc.v1.*_pb2_grpc``); of ``ivorygrpc`` the UI imports nothing but
  ``ivorygrpc.v1`` (import-linter contracts in pyproject.toml, run by scripts/check).
  Async functions decorated with `client.errors.rpc_errors` return dataclasses (or
  messages) and raise `UiError` with user-facing ``text``.
- `session` -- login per browser, the page's `Connection`, ``@login_required(role)``.
- `state` -- `EventHub`: one ``StreamRunEvents`` per UI process fanned out as NiceGUI
  ``Event``s (``events``, ``status_changed``, ``connection_changed``); the UI never polls.
- `theme` -- ``frame(title)``: header, navigation, live status, user menu.
- `components/` -- reusable parts (``parameter_form.ParameterForm`` for typed inputs).
- `pages/` -- one module per page, each with ``create()``; `main.create_app` registers them.
- `main` -- ``create_app``, ``run`` (``ivorygrpc ui``) and ``serving`` (``ivorygrpc serve``).

Tests: ``tests/ui/conftest.py`` (fixtures ``user``, ``create_user``, ``ui_server``,
``account``; helpers ``logged_in``, ``eventually``, ``table_rows``).
"""
