"""The engine: runs a scenario's modules in the fixed phase order, records measures, checkpoints."""
