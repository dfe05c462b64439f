"""The repository on disk: config, YAML, loading, validation, schema and importing."""
