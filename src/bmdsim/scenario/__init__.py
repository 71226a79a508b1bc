"""Scenarios: YAML files describing a situation, validated into typed objects (the only layer that reads
user scenario files)."""
