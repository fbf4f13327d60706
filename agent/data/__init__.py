"""Reading articles, the vector store with its embedding model, and the sentence index."""
