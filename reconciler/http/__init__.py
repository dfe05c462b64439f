"""The one HTTP layer: client, retries, rate and in-flight limits, pooled transport."""
