"""Double DQN on CartPole (book 4, chapter 10): the online network picks a', the target network scores it.

DQN's target r + gamma max_a' Q_target(s', a') takes the largest of several noisy estimates,
so it is biased upwards, and the bias feeds on itself through bootstrapping. Double DQN
(van Hasselt et al., 2016) separates choosing from scoring:

    a* = argmax_a' Q(s', a')              (the online network chooses)
    target = r + gamma Q_target(s', a*)   (the target network scores)

That is the only change: everything else is dqn_cartpole.py's agent and loop (shared in
``rl/common/dqn.py``), with the same settings (Adam lr 5e-4, gamma 0.98, epsilon 0.1, replay
of 10,000, batches of 32, target synced every 20 episodes). 500 episodes, a greedy evaluation
of 10 episodes every 20; the metrics give the episode at which the mean reward of the last 100
episodes first reaches 195 (CartPole-v0's "solved"). --quick stops at the first greedy
evaluation that reaches 195 (at most 150 episodes, evaluating every 10).
``dqn_compare.py`` runs it next to DQN, Dueling DQN and prioritized replay over several seeds.

    python examples/rl/double_dqn.py --out out/double_dqn
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common import dqn  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402


class DoubleDQNAgent(dqn.DQNAgent):
    def target_q(self, next_state):
        """Q_target(s', argmax_a' Q(s', a')): chosen by the online network, scored by the target."""
        with dezero.no_grad():
            best = self.qnet(next_state).data.argmax(axis=1)
            qs = self.qnet_target(next_state).data
        return qs[np.arange(len(best)), best]


def make_agent():
    return DoubleDQNAgent()


def main(argv=None):
    parser = common.make_parser(__doc__, 'double_dqn', needs=('gymnasium', 'matplotlib'))
    return dqn.run_variant(parser, make_agent, 'Double DQN on CartPole', argv)


if __name__ == '__main__':
    main()
