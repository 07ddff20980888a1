"""Step 30: Higher-order derivatives, preparation (고차 미분(준비 편)).

This stage has no code; it prints nothing. It reviews how the framework works so far, to prepare for
second and higher derivatives: a ``Variable`` holds ``data`` and ``grad``, both plain ndarrays; calling a
``Function`` computes its outputs and records the connections (``creator``, ``inputs``, ``outputs``,
``generation``); ``Variable.backward`` walks these connections in generation order and calls each
function's ``backward``, whose arithmetic happens on ndarrays. Because those backward computations are
not themselves recorded, the gradient has no graph and cannot be differentiated again.

이 단계에는 코드가 없으며 아무것도 출력하지 않습니다. 2차 이상의 고차 미분을 준비하며 지금까지의 동작 원리를
복습합니다. ``Variable``은 ``data``와 ``grad``를 ndarray로 가지고, ``Function``을 호출하면 출력을 계산하면서 연결
(``creator``, ``inputs``, ``outputs``, ``generation``)을 기록합니다. ``Variable.backward``는 이 연결을 세대 순서로
따라가며 각 함수의 ``backward``를 호출하는데, 그 계산은 ndarray로 이루어집니다. 역전파의 계산 자체는 기록되지
않으므로 기울기에는 계산 그래프가 없고, 따라서 한 번 더 미분할 수 없습니다.
"""
