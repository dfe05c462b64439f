"""Provider-neutral planning: models, the Provider contract, plans, diffs, guards, reads and applies."""
