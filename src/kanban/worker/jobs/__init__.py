"""Agent processing jobs: enqueue (coalescing), claim with a lease, run, retry, fail."""
