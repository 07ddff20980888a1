"""Perceptron logic gates (book 1, chapter 2): AND, NAND, OR, and XOR from two layers.

A perceptron outputs 1 when w1 x1 + w2 x2 + b > 0. With the book's weights it computes AND,
NAND and OR; XOR, which no single straight line separates, is AND(NAND(x), OR(x)). A grid search
over (w1, w2, b) confirms it: the same grid that holds many AND, NAND and OR perceptrons holds
no XOR one. Instant; --quick changes nothing.

    python examples/classic/gates_perceptron.py --out out/gates_perceptron
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402

import numpy as np  # noqa: E402

INPUTS = [(0, 0), (1, 0), (0, 1), (1, 1)]

# (w1, w2, b) of each single perceptron, as in the book
GATE_WEIGHTS = {'AND': (0.5, 0.5, -0.7), 'NAND': (-0.5, -0.5, 0.7), 'OR': (0.5, 0.5, -0.2)}


def perceptron(x1, x2, w1, w2, b):
    x = np.array([x1, x2])
    w = np.array([w1, w2])
    return 1 if np.sum(w * x) + b > 0 else 0


def AND(x1, x2):
    return perceptron(x1, x2, *GATE_WEIGHTS['AND'])


def NAND(x1, x2):
    return perceptron(x1, x2, *GATE_WEIGHTS['NAND'])


def OR(x1, x2):
    return perceptron(x1, x2, *GATE_WEIGHTS['OR'])


def XOR(x1, x2):
    """Two layers: NAND and OR first, then AND of their outputs."""
    return AND(NAND(x1, x2), OR(x1, x2))


def single_layer_solutions(targets, grid):
    """How many (w1, w2, b) on ``grid`` x ``grid`` x ``grid`` reproduce ``targets`` (4 outputs)."""
    x = np.array(INPUTS, dtype=float)                        # (4, 2)
    w1, w2, b = np.meshgrid(grid, grid, grid, indexing='ij')
    params = np.stack([w1.ravel(), w2.ravel(), b.ravel()])  # (3, M)
    out = (x @ params[:2] + params[2] > 0).astype(int)     # (4, M)
    return int(np.all(out == np.array(targets)[:, None], axis=0).sum())


def plot_gates(out, gates):
    """The four inputs and the region where each gate outputs 1 (blue), with each perceptron's
    line w1 x1 + w2 x2 + b = 0."""
    fig, axes = common.new_figure(1, 4, figsize=(14, 3.6))
    xs = np.linspace(-0.5, 1.5, 2)
    mesh = np.linspace(-0.5, 1.5, 81)
    for ax, (name, gate) in zip(axes, gates.items()):
        region = [[gate(x1, x2) for x1 in mesh] for x2 in mesh]
        ax.contourf(mesh, mesh, region, levels=[-0.5, 0.5, 1.5], colors=['mistyrose', 'lightblue'])
        for (x1, x2) in INPUTS:
            y = gate(x1, x2)
            ax.scatter([x1], [x2], s=120, marker='o' if y else 'x', color='tab:blue' if y else 'tab:red',
                       zorder=3)
        lines = [GATE_WEIGHTS[name]] if name in GATE_WEIGHTS else [GATE_WEIGHTS['NAND'], GATE_WEIGHTS['OR']]
        for w1, w2, b in lines:
            ax.plot(xs, -(w1 * xs + b) / w2, color='gray')
        ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), aspect='equal', xlabel='x1', ylabel='x2',
               title=name + (' = AND(NAND, OR)' if name == 'XOR' else ''))
        ax.grid(alpha=0.3)
    return common.save_figure(fig, out, 'gates_decision_boundaries.png')


def main(argv=None):
    parser = common.make_parser(__doc__, 'gates_perceptron', needs=('matplotlib',))
    args = common.parse(parser, argv)
    gates = {'AND': AND, 'NAND': NAND, 'OR': OR, 'XOR': XOR}
    tables = {name: [gate(x1, x2) for x1, x2 in INPUTS] for name, gate in gates.items()}
    for name, table in tables.items():
        print(name.ljust(4), ' '.join(f'{x1}{x2}->{y}' for (x1, x2), y in zip(INPUTS, table)))

    grid = np.round(np.linspace(-1, 1, 21), 10)
    solutions = {name: single_layer_solutions(table, grid) for name, table in tables.items()}
    figure = plot_gates(args.out, gates)
    metrics = {'inputs': INPUTS, 'truth_tables': tables,
               'grid': {'values_per_axis': len(grid), 'range': [-1, 1]},
               'single_layer_solutions': solutions}
    summary = ('gates_perceptron: ' + ', '.join(f'{n} {"".join(map(str, t))}' for n, t in tables.items())
               + f'; single perceptrons on a 21^3 grid: XOR {solutions["XOR"]}, AND {solutions["AND"]}, '
               f'NAND {solutions["NAND"]}, OR {solutions["OR"]}')
    common.finish(args, metrics, summary, [figure])


if __name__ == '__main__':
    main()
