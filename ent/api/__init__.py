"""The ENT's REST API, /api/v1/ (issue #23): assembly, authentication, errors, docs.

The endpoints (views/) read through the apps' `visible_to()` / `access_*()` and
write through their `do_*` actions, exactly as the pages do: there is no second
set of rules here, only a second way to ask.
"""
