"""Data files shipped with the server (BPE vocabularies for offline token counting)."""
