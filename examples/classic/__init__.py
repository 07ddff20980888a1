"""Book 1 (classic neural networks) examples."""
