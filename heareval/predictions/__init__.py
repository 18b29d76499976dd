"""Stage 3: shallow downstream training on cached embeddings, grid search, test predictions."""
