"""`reconciler import`: live rules written into manifests, by concept."""
