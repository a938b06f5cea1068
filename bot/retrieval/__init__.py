"""Find the passages that answer a question: dense embeddings + BM25, fused."""
