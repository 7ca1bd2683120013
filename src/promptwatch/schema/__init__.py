"""Wire-format models shared by the SDK and the server: pydantic only, no I/O.

`records` holds the native API's request and reply shapes, `legacy` the payloads of the published
promptwatch 0.4.x client (WIRE_PROTOCOL.md), `common` the values both use.
"""
