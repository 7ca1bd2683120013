"""The SDK's machinery; its public names are re-exported by `promptwatch`.

`config` (settings), `context` (context variables, sessions), `spans` and `observe` (recording),
`session` (`PromptWatch`), `templates` (the prompt-template registry), `pipeline` (queue, worker and
spool per destination). Private modules: `_safe` (the never-raise guard), `_scrub` (bounded copies),
`_ids` (activity ids), `_shapes`, `_wire`, `_worker`, `_delivery`, `_transport`, `_spool`. Nothing here
imports the server.
"""
