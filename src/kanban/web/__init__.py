"""HTTP pieces both services serve the same way: health checks, metrics, logging."""
