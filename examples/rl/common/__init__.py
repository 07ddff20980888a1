"""Parts shared by the RL examples: the 3x4 GridWorld of book 4 and its renderer (gridworld*,
utils), CartPole and its networks (cartpole), the DQN agent and loop of chapters 8 and 10 (dqn),
and the vector environments and policies of A2C and PPO (onpolicy)."""
