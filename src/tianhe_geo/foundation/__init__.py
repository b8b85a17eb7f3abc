"""Foundation: errors, coordinate systems, the vocabulary, the standards catalogue, settings.

Imports nothing else of tianhe-geo; every other layer may import it.
"""
