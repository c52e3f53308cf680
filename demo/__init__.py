"""Synthetic demo data for SciPop KG: `generate(outdir, projects, seed)` writes every source format."""
from demo.generator import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate"]
