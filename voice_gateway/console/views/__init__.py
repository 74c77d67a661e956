"""The console's pages and API (aiohttp handlers, Jinja2 templates with autoescaping), one module per page group.

* :mod:`~voice_gateway.console.views.pages`: templates, rendering, the error page, shared helpers, the stylesheet;
* :mod:`~voice_gateway.console.views.auth`: login and logout;
* :mod:`~voice_gateway.console.views.conversations`: the list, its API, one conversation, export, corrections;
* :mod:`~voice_gateway.console.views.review`: the corrections and their NLU export;
* :mod:`~voice_gateway.console.views.dashboard`: the charts;
* :mod:`~voice_gateway.console.views.admin`: the audit log and the accounts (administrators only).

Who may call what is decided by :func:`voice_gateway.console.security.guard` from the marks on
each handler (``@public``, ``@admin_only``; unmarked = any logged-in member of staff). Database
work runs in worker threads (:func:`voice_gateway.console.security.run_db`). Bad input gets a
Danish 400 or 404. The routes are registered in :mod:`voice_gateway.console.app`.
"""
