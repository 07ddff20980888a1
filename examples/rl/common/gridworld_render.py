"""Drawing the GridWorld with matplotlib: state values with policy arrows, and action values.

Both functions draw into a given Axes, so several panels can share one figure;
``GridWorld.render_v``/``render_q`` wrap them in a figure of their own. Values are shown on a
red (negative) - white - green (positive) scale, symmetric about 0 and at least +-1.
"""
import numpy as np

ARROWS = {0: '\u2191', 1: '\u2193', 2: '\u2190', 3: '\u2192'}      # up, down, left, right
ARROW_OFFSETS = {0: (0, -0.15), 1: (0, 0.15), 2: (-0.15, 0), 3: (0.15, 0)}


def _colormap():
    from matplotlib.colors import LinearSegmentedColormap
    return LinearSegmentedColormap.from_list('gridworld', ['red', 'white', 'green'])


def _value_scale(values):
    finite = [abs(v) for v in values if v is not None]
    return max([1.0] + finite)


def _frame(ax, env, title, label_y=0.12):
    """Grid lines, the wall, reward labels (at ``label_y`` within the cell) and the axis settings."""
    from matplotlib.patches import Rectangle
    ax.set_xlim(0, env.width)
    ax.set_ylim(env.height, 0)
    ax.set_aspect('equal')
    ax.set_xticks(range(env.width + 1))
    ax.set_yticks(range(env.height + 1))
    ax.tick_params(labelbottom=False, labelleft=False, length=0)
    ax.grid(color='black', linewidth=1)
    wy, wx = env.wall_state
    ax.add_patch(Rectangle((wx, wy), 1, 1, facecolor='dimgray', zorder=2))
    for (y, x) in env.states():
        r = env.reward_map[y, x]
        if r is not None and r != 0:
            label = f'R {r}' + (' (GOAL)' if (y, x) == env.goal_state else '')
            ax.text(x + 0.03, y + label_y, label, fontsize=7, va='center', zorder=3)
    if title:
        ax.set_title(title)


def draw_v(ax, env, v=None, policy=None, print_value=True, title=None):
    """State values ``v`` ({state: value}) as colours and numbers; arrows for every best action
    of ``policy`` ({state: {action: probability}})."""
    if v is not None:
        grid = np.full(env.shape, np.nan)
        for state in env.states():
            if state != env.wall_state:
                grid[state] = v.get(state, 0.0) if hasattr(v, 'get') else v[state]
        scale = _value_scale([x for x in grid.ravel() if not np.isnan(x)])
        ax.pcolormesh(np.arange(env.width + 1), np.arange(env.height + 1), grid,
                      cmap=_colormap(), vmin=-scale, vmax=scale)
    _frame(ax, env, title)
    for state in env.states():
        if state == env.wall_state:
            continue
        y, x = state
        if v is not None and print_value:
            ax.text(x + 0.95, y + 0.9, f'{grid[state]:.2f}', ha='right', va='bottom', fontsize=9)
        if policy is not None and state != env.goal_state and state in policy:
            probs = policy[state]
            best = max(probs.values())
            for action, p in probs.items():
                if p == best:
                    dx, dy = ARROW_OFFSETS[action]
                    ax.text(x + 0.5 + dx, y + 0.5 + dy, ARROWS[action], ha='center', va='center',
                            fontsize=14)


def draw_q(ax, env, q, print_value=True, title=None):
    """Action values ``q`` ({(state, action): value}): each cell split into four triangles."""
    from matplotlib.collections import PolyCollection
    polys, values = [], []
    for state in env.states():
        if state in (env.wall_state, env.goal_state):
            continue
        y, x = state
        c = (x + 0.5, y + 0.5)
        corners = {0: [(x, y), (x + 1, y)], 1: [(x, y + 1), (x + 1, y + 1)],
                   2: [(x, y), (x, y + 1)], 3: [(x + 1, y), (x + 1, y + 1)]}
        for action in env.actions():
            polys.append([c] + corners[action])
            values.append(q.get((state, action), 0.0) if hasattr(q, 'get') else q[state, action])
    scale = _value_scale(values)
    coll = PolyCollection(polys, cmap=_colormap(), edgecolors='gray', linewidths=0.5)
    coll.set_array(np.array(values, dtype=float))
    coll.set_clim(-scale, scale)
    ax.add_collection(coll)
    _frame(ax, env, title, label_y=0.92)   # bottom left: the top triangle holds the value of UP
    if print_value:
        for poly, value in zip(polys, values):
            cx = sum(p[0] for p in poly) / 3
            cy = sum(p[1] for p in poly) / 3
            ax.text(cx, cy, f'{value:.2f}', ha='center', va='center', fontsize=7)


def greedy_policy_of(env, q):
    """{state: {action: 1.0 for every action with the largest q}} for drawing."""
    policy = {}
    for state in env.states():
        if state in (env.wall_state, env.goal_state):
            continue
        qs = {a: (q.get((state, a), 0.0) if hasattr(q, 'get') else q[state, a]) for a in env.actions()}
        best = max(qs.values())
        policy[state] = {a: 1.0 if value == best else 0.0 for a, value in qs.items()}
    return policy
