"""reconciler: declarative GitOps for SaaS rules."""

# The one place the version is written: packaging reads it from here (pyproject.toml), and so do
# `reconciler --version`, JSON plans and markdown reports, without a metadata lookup at start-up.
__version__ = "0.1.0"
