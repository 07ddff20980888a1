"""The 3x4 GridWorld of book 4 (chapters 4 to 7), with the same interface as the book's."""
import numpy as np

# (row, col) step of each action
ACTION_MOVES = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1)}


class GridWorld:
    """A 3x4 grid world: +1 at the goal (0, 3), -1 at (1, 3), a wall at (1, 1).

    States are ``(row, col)`` tuples with (0, 0) at the top left; the agent starts at (2, 0).
    Actions 0, 1, 2, 3 move UP, DOWN, LEFT, RIGHT. A move off the grid or into the wall leaves
    the agent where it is. Moves are deterministic and the reward is that of the cell the agent
    lands in, so pressing RIGHT at (1, 3) costs -1 again. Only the goal ends an episode;
    the -1 cell does not, and there is no time limit.

    ``states()`` yields all 12 cells, the wall included, as in the book; the algorithms skip it.

    Example:
        >>> env = GridWorld()
        >>> env.reset()
        (2, 0)
        >>> env.step(0)      # UP
        ((1, 0), 0.0, False)
    """

    def __init__(self):
        self.action_space = [0, 1, 2, 3]
        self.action_meaning = {0: 'UP', 1: 'DOWN', 2: 'LEFT', 3: 'RIGHT'}
        self.reward_map = np.array([[0.0, 0.0, 0.0, 1.0],
                                    [0.0, None, 0.0, -1.0],
                                    [0.0, 0.0, 0.0, 0.0]], dtype=object)
        self.goal_state = (0, 3)
        self.wall_state = (1, 1)
        self.start_state = (2, 0)
        self.agent_state = self.start_state

    @property
    def height(self):
        return len(self.reward_map)

    @property
    def width(self):
        return len(self.reward_map[0])

    @property
    def shape(self):
        return self.reward_map.shape

    def actions(self):
        return self.action_space

    def states(self):
        for h in range(self.height):
            for w in range(self.width):
                yield (h, w)

    def next_state(self, state, action):
        """The cell reached from ``state`` by ``action`` (the model that DP uses)."""
        dy, dx = ACTION_MOVES[action]
        ny, nx = state[0] + dy, state[1] + dx
        if not (0 <= ny < self.height and 0 <= nx < self.width) or (ny, nx) == self.wall_state:
            return state
        return (ny, nx)

    def reward(self, state, action, next_state):
        return self.reward_map[next_state]

    def reset(self):
        self.agent_state = self.start_state
        return self.agent_state

    def step(self, action):
        """Move the agent; returns ``(next_state, reward, done)``."""
        state = self.agent_state
        next_state = self.next_state(state, action)
        reward = self.reward(state, action, next_state)
        done = next_state == self.goal_state
        self.agent_state = next_state
        return next_state, reward, done

    def render_v(self, v=None, policy=None, print_value=True, title=None):
        """A Figure of the state values ``v`` (dict) and the arrows of ``policy``; save it or show it."""
        from examples import common
        from examples.rl.common import gridworld_render
        fig, ax = common.new_figure(figsize=(5.2, 4.0))
        gridworld_render.draw_v(ax, self, v, policy, print_value, title)
        return fig

    def render_q(self, q, print_value=True, title=None):
        """A Figure of the action values ``q`` (dict keyed by (state, action)) and their greedy policy."""
        from examples import common
        from examples.rl.common import gridworld_render
        fig, axes = common.new_figure(1, 2, figsize=(10.4, 4.0))
        gridworld_render.draw_q(axes[0], self, q, print_value, title)
        gridworld_render.draw_v(axes[1], self, None, gridworld_render.greedy_policy_of(self, q),
                                print_value, 'greedy policy')
        return fig
