"""The verification graph (retrieve -> extract -> cross-check -> verdict), its state and its nodes."""
