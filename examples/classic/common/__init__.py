"""Helpers shared by the book-1 examples (and the book-3 ones that train on MNIST)."""
