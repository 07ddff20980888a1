"""Step 15: Complex computational graphs, theory (복잡한 계산 그래프(이론 편)).

This stage has no code; it prints nothing. It shows that the backward loop of step 14, which takes
functions from a list in whatever order they were added, goes wrong as soon as a variable feeds several
functions (a = x², y = a² + a²): a function may run before all the gradients of its outputs have
arrived. The functions must be processed in topological order, from the output back to the inputs. The
book does this with a *generation* number: a function's generation is the largest generation of its
inputs, a variable's is its creator's plus one, and backward always takes the function with the highest
generation first. Step 16 implements it.

이 단계에는 코드가 없으며 아무것도 출력하지 않습니다. 14단계의 역전파 반복문은 함수를 리스트에 추가된 순서대로
꺼내므로, 하나의 변수가 여러 함수에 쓰이는 그래프(a = x², y = a² + a²)에서는 출력의 기울기가 모두 모이기 전에
함수가 실행되어 잘못된 결과를 냅니다. 함수는 출력에서 입력 방향으로 위상 정렬(topological order)된 순서로
처리해야 합니다. 이 책은 *세대*(generation)로 이를 해결합니다. 함수의 세대는 입력 변수 중 가장 큰 세대이고,
변수의 세대는 자신을 만든 함수의 세대에 1을 더한 값이며, 역전파는 항상 세대가 가장 큰 함수부터 꺼냅니다.
구현은 16단계에서 합니다.
"""
