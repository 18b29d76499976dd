"""Stage 2: run HEAR-API models over finalized tasks and cache their embeddings."""
