"""Book 4 (reinforcement learning) examples."""
