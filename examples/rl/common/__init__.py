"""The 3x4 GridWorld of book 4, its renderer, and small helpers shared by the RL examples."""
