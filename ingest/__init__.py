"""Source formats in, triples out: one module per format, a registry, and the pipeline."""
