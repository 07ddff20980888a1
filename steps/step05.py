"""Step 05: The theory of backpropagation (역전파 이론).

This stage has no code; it prints nothing. It explains the chain rule: for a composite y = C(B(A(x)))
with a = A(x) and b = B(a), dy/dx = dy/db · db/da · da/dx. Multiplying these factors from the output side
(starting from dy/dy = 1) is backpropagation: every derivative of the output with respect to an
intermediate variable is computed once and reused, so one backward pass gives the derivative with respect
to every input. The backward pass needs the values seen in the forward pass (for example x to
differentiate x²), which is why the next stage stores each function's input.

이 단계에는 코드가 없으며 아무것도 출력하지 않습니다. 연쇄 법칙(chain rule)을 설명합니다. 합성 함수
y = C(B(A(x)))에서 a = A(x), b = B(a)라고 하면 dy/dx = dy/db · db/da · da/dx입니다. 이 곱을 출력 쪽에서부터
(dy/dy = 1에서 시작하여) 계산하는 것이 역전파입니다. 중간 변수에 대한 출력의 미분을 한 번씩만 계산하여
재사용하므로, 역전파 한 번으로 모든 입력에 대한 미분을 얻습니다. 역전파에는 순전파 때의 값이 필요하므로
(예: x²을 미분하려면 x가 필요), 다음 단계에서는 각 함수가 자신의 입력을 기억하게 합니다.
"""
