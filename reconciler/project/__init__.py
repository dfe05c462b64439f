"""The repository on disk: config, YAML, loading, validation, schema and importing."""

CONFIG_FILE = "reconciler.yaml"  # here, not in config.py: the command line names it without loading pydantic
