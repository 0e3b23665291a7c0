"""Evaluation: generate answers with a model (base, adapter, checkpoint) and score them with clingo."""
