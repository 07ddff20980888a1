"""Model summaries: ``repr`` of a Layer or Model shows its tree, parameter shapes and count;
``Model.summary(*inputs)`` adds each layer's output shape; ``repr`` of a Variable is the book's."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Parameter, Variable
from dezero.models import MLP, Model, Sequential


def test_repr_of_a_lazy_mlp_then_after_its_first_forward():
    model = MLP((10, 3))
    assert repr(model) == '\n'.join([
        'MLP(',
        '  l0: Linear(W: not initialised, b: (10,))',
        '  l1: Linear(W: not initialised, b: (3,))',
        ')',
        'parameters: 13 so far, and 2 not initialised yet (their shapes come with the first forward pass)'])
    model(np.ones((2, 4), dtype=np.float32))
    assert str(model) == '\n'.join([
        'MLP(',
        '  l0: Linear(W: (4, 10), b: (10,))',
        '  l1: Linear(W: (10, 3), b: (3,))',
        ')',
        'parameters: 83'])


class Block(L.Layer):
    def __init__(self):
        super().__init__()
        self.scale = Parameter(np.ones(3, dtype=np.float32), name='scale')
        self.fc = L.Linear(3, in_size=3)
        self.drop = L.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(x) * self.scale)


class Net(Model):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = L.Linear(2, in_size=3)
        self.tied = self.head              # the same layer twice: its parameters count once
        self.unused = L.Linear(5, in_size=2)

    def forward(self, x):
        return self.head(self.block(x))


def test_repr_nests_sub_layers_and_counts_shared_parameters_once():
    net = Net()
    assert repr(net) == '\n'.join([
        'Net(',
        '  block: Block(',
        '    scale: (3,)',
        '    fc: Linear(W: (3, 3), b: (3,))',
        '    drop: Dropout()',
        '  )',
        '  head: Linear(W: (3, 2), b: (2,))',
        '  tied: Linear(W: (3, 2), b: (2,))',
        '  unused: Linear(W: (2, 5), b: (5,))',
        ')',
        'parameters: 38'])               # 3 + 12 + 8 + 15: `tied` adds nothing
    assert repr(net.block.drop) == 'Dropout()\nparameters: 0'


def test_variable_and_parameter_repr_stay_the_books():
    assert repr(Variable(np.array([[1, 2, 3], [4, 5, 6]]))) == 'variable([[1 2 3]\n          [4 5 6]])'
    assert repr(Variable(None)) == 'variable(None)'
    assert repr(Parameter(np.array(2.0))) == 'variable(2.0)'


def test_summary_shows_output_shapes_and_counts(capsys):
    model = MLP((10, 3))
    assert model.summary(np.zeros((2, 4), dtype=np.float32)) is None
    assert capsys.readouterr().out == '\n'.join([
        'MLP: input (2, 4) -> output (2, 3)',
        'layer  type    output shape  parameters',
        'l0     Linear  (2, 10)               50',
        'l1     Linear  (2, 3)                33',
        'total parameters: 83', ''])
    assert 'not initialised' not in repr(model)     # the pass created the lazy weights


def test_summary_of_nested_layers_shared_and_unused(capsys):
    Net().summary(np.ones((4, 3), dtype=np.float32))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'Net: input (4, 3) -> output (4, 2)'
    rows = [line.split() for line in lines[2:-1]]
    assert rows == [['block', 'Block', '(4,', '3)', '15'],
                    ['fc', 'Linear', '(4,', '3)', '12'],
                    ['drop', 'Dropout', '(4,', '3)', '0'],
                    ['head', 'Linear', '(4,', '2)', '8'],
                    ['tied', 'Linear', '(4,', '2)', '8'],
                    ['unused', 'Linear', 'not', 'called', '15']]
    assert lines[3].startswith('  fc ')            # sub-layers are indented under their parent
    assert lines[-1] == 'total parameters: 38'


def test_summary_runs_in_test_mode_without_gradients_and_restores_forward(capsys):
    seen = []

    class Probe(L.Layer):
        def forward(self, x):
            seen.append((dezero.Config.train, dezero.Config.enable_backprop))
            return F.dropout(x, 0.5)

    model = Sequential(L.Linear(3, in_size=2), Probe())
    model.l0(np.ones((1, 2), dtype=np.float32))
    state = np.random.get_state()[1].copy()
    model.summary(np.ones((1, 2), dtype=np.float32))
    assert seen == [(False, False)]
    assert (np.random.get_state()[1] == state).all()  # dropout drew no mask
    assert all(p.grad is None for p in model.params())
    assert dezero.Config.train and dezero.Config.enable_backprop
    assert 'forward' not in model.l0.__dict__ and 'forward' not in model.__dict__


def test_summary_counts_repeated_calls_and_cleans_up_after_an_error(capsys):
    class Twice(Model):
        def __init__(self):
            super().__init__()
            self.fc = L.Linear(4, in_size=4)

        def forward(self, x):
            return self.fc(F.relu(self.fc(x)))

    Twice().summary(np.ones((2, 4), dtype=np.float32))
    assert 'fc     Linear  (2, 4) x2 calls' in capsys.readouterr().out

    model = MLP((3, 2))
    with pytest.raises(TypeError):
        model.summary(np.ones((2, 4, 5, 6, 7), dtype=np.float32), 'extra argument')
    assert all('forward' not in layer.__dict__ for layer in (model, model.l0, model.l1))
    model(np.ones((2, 4), dtype=np.float32))        # the class's forward is back
