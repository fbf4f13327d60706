"""Application services the commands call: verify a claim, answer a question, ingest, write reports."""
