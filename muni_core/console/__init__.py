"""The staff console's data: accounts, sessions, review corrections and the queries behind its pages.

Only the gateway (:mod:`voice_gateway.console`) and the CLI (``muni staff``, ``muni review``) import
this subpackage: it needs ``argon2-cffi``, which the rest of :mod:`muni_core` does not (Rasa's
environment imports :mod:`muni_core` but never :mod:`muni_core.console`). Every function takes a
SQLAlchemy :class:`~sqlalchemy.engine.Engine` on the tracker database and is synchronous: the
gateway calls them in worker threads.

* :mod:`~muni_core.console.accounts`: staff accounts (argon2id password hashes);
* :mod:`~muni_core.console.sessions`: login sessions and failed-login throttling;
* :mod:`~muni_core.console.review`: corrections and their export as Rasa NLU data;
* :mod:`~muni_core.console.listing`: the conversation list (filters, search, keyset paging);
* :mod:`~muni_core.console.conversation`: one conversation's view and export;
* :mod:`~muni_core.console.dashboard`: the dashboard's figures;
* :mod:`~muni_core.console.audit`: the audit log.
"""
