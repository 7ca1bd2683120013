"""Wire compatibility with the published promptwatch 0.4.6 client (WIRE_PROTOCOL.md)."""
