"""Vendor providers, by the name a target's `provider:` uses."""

from __future__ import annotations

from reconciler.engine.provider import Provider
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.providers.primo import PrimoProvider
from reconciler.providers.vizivault import ViziVaultProvider

PROVIDERS: dict[str, type[Provider]] = {p.name: p for p in (PrimoProvider, ViziVaultProvider, OneLoginProvider)}
