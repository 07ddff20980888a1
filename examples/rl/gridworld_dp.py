"""Dynamic programming (book 4, chapter 4): policy evaluation, policy iteration, value iteration.

First the two-cell world of chapters 2-3 (iterative policy evaluation, synchronous and in
place), then the 3x4 GridWorld: the value of the uniformly random policy, policy iteration
and value iteration, with gamma = 0.9. Everything here is deterministic; --seed and --quick
change nothing.

    python examples/rl/gridworld_dp.py --out out/gridworld_dp
"""
import os
import sys
from collections import defaultdict

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.gridworld import GridWorld  # noqa: E402
from examples.rl.common import gridworld_render, utils  # noqa: E402


# =============================================================================
# The two-cell world: L1 | L2 (a bump costs -1, reaching the apple in L2 gives +1)
# =============================================================================
def two_state_eval(in_place=False, threshold=1e-4):
    """Value of the random policy in the two-cell world; returns (V, number of sweeps).

    Synchronous sweeps compute both new values from the old ones; in-place sweeps let L2's
    update already use the new value of L1, and converge in fewer sweeps.
    """
    V = {'L1': 0.0, 'L2': 0.0}
    count = 0
    while True:
        old = dict(V)
        src = V if in_place else old
        V['L1'] = 0.5 * (-1 + 0.9 * src['L1']) + 0.5 * (1 + 0.9 * src['L2'])
        V['L2'] = 0.5 * (0 + 0.9 * src['L1']) + 0.5 * (-1 + 0.9 * src['L2'])
        count += 1
        if max(abs(V[s] - old[s]) for s in V) < threshold:
            return V, count


# =============================================================================
# GridWorld: policy evaluation
# =============================================================================
def eval_onestep(pi, V, env, gamma=0.9):
    """One in-place sweep of the Bellman expectation backup for policy ``pi``."""
    for state in env.states():
        if state == env.wall_state:
            continue
        if state == env.goal_state:
            V[state] = 0
            continue
        new_v = 0
        for action, action_prob in pi[state].items():
            next_state = env.next_state(state, action)
            r = env.reward(state, action, next_state)
            new_v += action_prob * (r + gamma * V[next_state])
        V[state] = new_v
    return V


def policy_eval(pi, V, env, gamma, threshold=0.001):
    """Sweep until no value moves by ``threshold``; returns (V, number of sweeps)."""
    sweeps = 0
    while True:
        old_V = V.copy()
        V = eval_onestep(pi, V, env, gamma)
        sweeps += 1
        delta = max(abs(V[s] - old_V[s]) for s in V)
        if delta < threshold:
            return V, sweeps


def random_policy():
    return defaultdict(lambda: {0: 0.25, 1: 0.25, 2: 0.25, 3: 0.25})


# =============================================================================
# GridWorld: policy iteration
# =============================================================================
def argmax(d):
    """The key of the largest value; the last one on ties, as in the book."""
    max_value = max(d.values())
    return [key for key, value in d.items() if value == max_value][-1]


def greedy_policy(V, env, gamma):
    """The deterministic policy that is greedy with respect to ``V`` (one-step look-ahead)."""
    pi = {}
    for state in env.states():
        if state == env.wall_state:
            continue
        action_values = {}
        for action in env.actions():
            next_state = env.next_state(state, action)
            r = env.reward(state, action, next_state)
            action_values[action] = r + gamma * V[next_state]
        action_probs = {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0}
        action_probs[argmax(action_values)] = 1.0
        pi[state] = action_probs
    return pi


def policy_iter(env, gamma, threshold=0.001):
    """Evaluate, improve, repeat until the policy no longer changes.

    Returns the final policy, its values and the (V, pi) of every round for drawing.
    """
    pi = random_policy()
    V = defaultdict(lambda: 0)
    rounds = []
    while True:
        V, _ = policy_eval(pi, V, env, gamma, threshold)
        new_pi = greedy_policy(V, env, gamma)
        rounds.append((dict(V), dict(pi)))
        if new_pi == pi:
            return pi, V, rounds
        pi = new_pi


# =============================================================================
# GridWorld: value iteration
# =============================================================================
def value_iter_onestep(V, env, gamma):
    """One in-place sweep of the Bellman optimality backup."""
    for state in env.states():
        if state == env.wall_state:
            continue
        if state == env.goal_state:
            V[state] = 0
            continue
        action_values = []
        for action in env.actions():
            next_state = env.next_state(state, action)
            r = env.reward(state, action, next_state)
            action_values.append(r + gamma * V[next_state])
        V[state] = max(action_values)
    return V


def value_iter(V, env, gamma, threshold=0.001):
    """Sweep until no value moves by ``threshold``; returns (V, number of sweeps, V before each sweep)."""
    history = []
    while True:
        history.append(dict(V))
        old_V = V.copy()
        V = value_iter_onestep(V, env, gamma)
        delta = max(abs(V[s] - old_V[s]) for s in V)
        if delta < threshold:
            return V, len(history), history


def optimal_values(env, gamma=0.9):
    """V* to machine precision, the reference answer for the learning examples."""
    V, _, _ = value_iter(defaultdict(lambda: 0), env, gamma, threshold=1e-12)
    return V


def random_policy_values(env, gamma=0.9):
    """The exact value of the uniformly random policy, the reference for MC and TD evaluation."""
    V, _ = policy_eval(random_policy(), defaultdict(lambda: 0), env, gamma, threshold=1e-12)
    return V


# =============================================================================
# Main
# =============================================================================
def _policy_actions(env, pi):
    """{'(row, col)': action name} of a deterministic policy, for metrics.json."""
    return {str(s): env.action_meaning[max(pi[s], key=pi[s].get)]
            for s in utils.nonterminal_states(env)}


def main(argv=None):
    parser = common.make_parser(__doc__, 'gridworld_dp', needs=('matplotlib',))
    args = common.parse(parser, argv)
    env, gamma = GridWorld(), 0.9
    figures = []

    sync_V, sync_iters = two_state_eval(in_place=False)
    inplace_V, inplace_iters = two_state_eval(in_place=True)

    V_rand, rand_sweeps = policy_eval(random_policy(), defaultdict(lambda: 0), env, gamma, 1e-3)
    V_rand_exact = random_policy_values(env, gamma)
    fig = env.render_v(V_rand, title=f'random policy: V after {rand_sweeps} sweeps')
    figures.append(common.save_figure(fig, args.out, 'random_policy_v.png'))

    V_star, vi_sweeps, history = value_iter(defaultdict(lambda: 0), env, gamma, 1e-3)
    pi_vi = greedy_policy(V_star, env, gamma)
    fig, axes = common.new_figure(1, len(history) + 1, figsize=(3.6 * (len(history) + 1), 3.0))
    for k, (ax, V) in enumerate(zip(axes, history)):
        gridworld_render.draw_v(ax, env, V, title=f'before sweep {k + 1}')
    gridworld_render.draw_v(axes[-1], env, V_star, pi_vi, title='V* and greedy policy')
    figures.append(common.save_figure(fig, args.out, 'value_iteration.png', dpi=70))

    pi_pi, _, rounds = policy_iter(env, gamma, 1e-3)
    fig, axes = common.new_figure(1, len(rounds), figsize=(3.6 * len(rounds), 3.0))
    for k, (ax, (V, pi)) in enumerate(zip(axes, rounds)):
        gridworld_render.draw_v(ax, env, V, pi, title=f'round {k + 1}: V of this policy')
    figures.append(common.save_figure(fig, args.out, 'policy_iteration.png', dpi=70))

    V_exact = optimal_values(env, gamma)
    Q_vi = utils.q_from_v(env, V_star, gamma)
    grade = utils.grade_greedy(env, Q_vi, V_exact, gamma)
    vi_actions, pi_actions = _policy_actions(env, pi_vi), _policy_actions(env, pi_pi)
    metrics = {
        'two_state': {'sync': sync_V, 'sync_iterations': sync_iters,
                      'in_place': inplace_V, 'in_place_iterations': inplace_iters},
        'random_policy': {'sweeps': rand_sweeps, 'V': utils.table(env, V_rand),
                          'V_exact': utils.table(env, V_rand_exact)},
        'value_iteration': {'sweeps': vi_sweeps, 'V': utils.table(env, V_star),
                            'policy': vi_actions},
        'policy_iteration': {'rounds': len(rounds), 'policy': pi_actions,
                             'same_as_value_iteration': vi_actions == pi_actions},
        'V_star_exact': utils.table(env, V_exact),
        'greedy_optimal_states': grade['optimal_states'],
        'path_steps': grade['path_steps'],
        'path_return': grade['path_return'],
    }
    summary = (f'gridworld_dp: value iteration {vi_sweeps} sweeps, V*(start) = '
               f'{V_star[env.start_state]:.3f}; policy iteration {len(rounds)} rounds '
               f'({"same" if vi_actions == pi_actions else "different"} policy); random policy '
               f'V(start) = {V_rand_exact[env.start_state]:.3f}; two-state V = '
               f'({sync_V["L1"]:.3f}, {sync_V["L2"]:.3f}) in {sync_iters} sweeps')
    common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
