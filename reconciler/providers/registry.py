"""Vendor providers, by the name a target's `provider:` uses."""

from __future__ import annotations

from reconciler.engine.behaviour import Evaluator
from reconciler.engine.provider import Provider
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.providers.onelogin_evaluator import OneLoginEvaluator
from reconciler.providers.primo import PrimoProvider
from reconciler.providers.primo_evaluator import PrimoEvaluator
from reconciler.providers.vizivault import ViziVaultProvider
from reconciler.providers.vizivault_evaluator import ViziVaultEvaluator

PROVIDERS: dict[str, type[Provider]] = {p.name: p for p in (PrimoProvider, ViziVaultProvider, OneLoginProvider)}
# What each provider's rules do to an input (rule tests, the impact of plans); a provider without one
# cannot be tested. Kept apart from the provider classes: each evaluator reads its provider's vocabulary.
EVALUATORS: dict[str, type[Evaluator]] = {
    "primo": PrimoEvaluator,
    "vizivault": ViziVaultEvaluator,
    "onelogin": OneLoginEvaluator,
}
