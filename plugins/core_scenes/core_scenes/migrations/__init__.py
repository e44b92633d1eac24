"""SQL migrations of core-scenes (``NNNNNN_name.up.sql`` / ``.down.sql``), read as package
resources by `holomush_sdk.storage.run_migrations`, so they work inside the zipped PEX."""
