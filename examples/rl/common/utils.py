"""Helpers of the tabular RL examples: tie-breaking argmax, epsilon-greedy policies, and grading
a learned table against the exact answer of dynamic programming."""
import numpy as np


def argmax(xs):
    """Index of the largest of ``xs``, ties broken uniformly at random (NumPy's global RNG)."""
    best = max(xs)
    idxes = [i for i, x in enumerate(xs) if x == best]
    if len(idxes) == 1:
        return idxes[0]
    return int(np.random.choice(idxes))


def greedy_probs(Q, state, epsilon=0.0, action_size=4):
    """The epsilon-greedy action probabilities {action: p} at ``state`` for the table ``Q``."""
    qs = [Q[(state, action)] for action in range(action_size)]
    max_action = argmax(qs)
    base_prob = epsilon / action_size
    action_probs = {action: base_prob for action in range(action_size)}
    action_probs[max_action] += 1 - epsilon
    return action_probs


def q_from_v(env, V, gamma):
    """One-step look-ahead {(state, action): r + gamma V(next_state)} over the non-terminal states."""
    return {(s, a): env.reward(s, a, env.next_state(s, a)) + gamma * V[env.next_state(s, a)]
            for s in nonterminal_states(env) for a in env.actions()}


def nonterminal_states(env):
    """The cells an episode can be in: all but the wall and the goal (10 in the 3x4 world)."""
    return [s for s in env.states() if s not in (env.wall_state, env.goal_state)]


def best_actions(Q, state, actions, tol=0.0):
    """The set of actions whose value is within ``tol`` of the largest at ``state``."""
    qs = {a: Q[(state, a)] for a in actions}
    best = max(qs.values())
    return {a for a, value in qs.items() if value >= best - tol}


def grade_greedy(env, Q, V_star, gamma):
    """How good the greedy policy of ``Q`` is, judged against the optimal values ``V_star``.

    Returns a dict: ``optimal_states`` (states whose greedy actions, ties included, are all
    optimal), ``wrong_states``, ``path`` (the cells visited from the start following the greedy
    action, first one on ties, for at most 20 steps), ``path_steps``, ``reaches_goal``, ``path_return``
    (its discounted return) and ``path_max_error`` (the largest |max_a Q(s, a) - V*(s)| along the path).
    """
    Q_star = q_from_v(env, V_star, gamma)
    wrong = []
    for s in nonterminal_states(env):
        optimal = best_actions(Q_star, s, env.actions(), tol=1e-9)
        if not best_actions(Q, s, env.actions()) <= optimal:
            wrong.append(s)
    path, state = [env.start_state], env.start_state
    while state != env.goal_state and len(path) <= 20:
        state = env.next_state(state, min(best_actions(Q, state, env.actions())))
        path.append(state)
    errors = [abs(max(Q[(s, a)] for a in env.actions()) - V_star[s]) for s in path[:-1]]
    path_return = sum(gamma ** t * env.reward_map[s] for t, s in enumerate(path[1:]))
    return {'optimal_states': len(nonterminal_states(env)) - len(wrong),
            'wrong_states': wrong,
            'path': path,
            'path_steps': len(path) - 1,
            'reaches_goal': path[-1] == env.goal_state,
            'path_return': path_return,
            'path_max_error': max(errors)}


def value_errors(env, V, V_ref):
    """|V(start) - V_ref(start)| and the largest |V - V_ref| over the non-terminal states."""
    errors = {s: abs(V[s] - V_ref[s]) for s in nonterminal_states(env)}
    return abs(V[env.start_state] - V_ref[env.start_state]), max(errors.values())


def table(env, V):
    """``V`` as a list of rows (None for the wall), for metrics.json."""
    return [[None if (y, x) == env.wall_state else round(float(V[(y, x)]), 6)
             for x in range(env.width)] for y in range(env.height)]
