"""Step 32: Higher-order derivatives, implementation (고차 미분(구현 편)).

This stage has no code in ``steps/``; it prints nothing. Its code is the full core, ``dezero/core.py``:
``Variable.grad`` becomes a Variable (the seed is ``Variable(ones_like(data))``), the backward methods of
``Mul``, ``Div``, ``Pow`` and the other functions read their inputs as Variables (``x, = self.inputs``)
instead of raw arrays, and ``Variable.backward(retain_grad=False, create_graph=False)`` runs the backward
computations inside ``using_config('enable_backprop', create_graph)``: with ``create_graph=True`` the
gradient keeps its own graph and can be differentiated again; by default no graph is built, which saves
memory. From step 33 on, the steps use this full core.

이 단계의 코드는 ``steps/``가 아니라 전체 코어인 ``dezero/core.py``에 있으며, 이 파일은 아무것도 출력하지
않습니다. ``Variable.grad``가 Variable이 되고(초깃값은 ``Variable(ones_like(data))``), ``Mul``, ``Div``, ``Pow`` 등의
역전파는 입력을 ndarray가 아닌 Variable로 읽습니다(``x, = self.inputs``). ``Variable.backward(retain_grad=False,
create_graph=False)``는 역전파 계산을 ``using_config('enable_backprop', create_graph)`` 안에서 수행합니다.
``create_graph=True``이면 기울기가 자신의 계산 그래프를 유지하므로 다시 미분할 수 있고, 기본값(False)에서는
그래프를 만들지 않아 메모리를 아낍니다. 33단계부터는 이 전체 코어를 사용합니다.
"""
