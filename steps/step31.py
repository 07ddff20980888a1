"""Step 31: Higher-order derivatives, theory (고차 미분(이론 편)).

This stage has no code; it prints nothing. The key idea of higher-order differentiation: if the
computations done during backpropagation are themselves performed with Variables and Functions, then
backpropagation builds a computational graph too — the graph of the gradient. For y = sin(x), the backward
pass computes gx = gy · cos(x) as a new graph (Cos and Mul nodes), so ``x.grad`` is a Variable with a
creator, and calling ``backward`` on it gives the second derivative, and so on for any order. This needs
``grad`` to be a Variable and every ``backward`` method to be written with Variable operations.

이 단계에는 코드가 없으며 아무것도 출력하지 않습니다. 고차 미분의 핵심 아이디어를 설명합니다. 역전파에서 하는
계산도 Variable과 Function으로 수행하면, 역전파 역시 계산 그래프(기울기의 계산 그래프)를 만듭니다.
y = sin(x)의 역전파는 gx = gy · cos(x)를 새 그래프(Cos와 Mul 노드)로 계산하므로 ``x.grad``는 creator를 가진
Variable이 되고, 이것에 다시 ``backward``를 호출하면 2차 미분을 얻습니다. 몇 차 미분이든 마찬가지입니다.
이를 위해 ``grad``를 Variable로 만들고 모든 ``backward`` 메서드를 Variable 연산으로 작성해야 합니다.
"""
