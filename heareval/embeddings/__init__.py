"""Stage 2: run HEAR-API models over finalized tasks and cache their embeddings."""

import os

# Before torch is imported (this package's modules import it): PyTorch's CPU allocator then gives
# tensors of 2 MB and more transparent huge pages. A model's large per-batch tensors otherwise fragment
# the heap (peak memory up to 2.5x the live size, measured) and cost a page fault every 4 kB.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
