"""The contact centre's staff console, served by the gateway under ``/console``: its web side.

Staff log in with local accounts (:mod:`muni_core.console.accounts`), browse and search the
stored (already redacted) conversations, mark misunderstood citizen messages for retraining, and
admins read the audit log. The data and the queries are :mod:`muni_core.console`'s; here are the
pages (:mod:`voice_gateway.console.views`), sessions, CSRF and access rules
(:mod:`voice_gateway.console.security`) and the charts. See :func:`voice_gateway.console.app.setup_console`.
"""
