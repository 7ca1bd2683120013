"""The PromptWatch server (needs the `server` extra): `create_app(settings)` builds the ASGI app."""
