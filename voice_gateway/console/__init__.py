"""The contact centre's staff console, served by the gateway under ``/console``.

Staff log in with local accounts (:mod:`voice_gateway.console.accounts`), browse and search the
stored (already redacted) conversations, mark misunderstood citizen messages for retraining, and
admins read the audit log. See :func:`voice_gateway.console.app.setup_console`.
"""
