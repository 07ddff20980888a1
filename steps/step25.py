"""Step 25: Visualizing computational graphs (1) (계산 그래프 시각화(1)).

This stage has no code; it prints nothing. It introduces Graphviz and its DOT language: a graph is
written as text such as ``digraph g { x [label="x", color=orange, style=filled]; ... }``, with one line per
node (variables as orange ellipses, functions as light-blue boxes) and one line ``a -> b`` per edge, and the
``dot`` program draws it (``dot sample.dot -T png -o sample.png``). Step 26 generates this text from a
DeZero graph. Install Graphviz with ``apt-get install graphviz``, ``brew install graphviz`` or the Windows
installer from graphviz.org (then add its ``bin`` folder to PATH).

이 단계에는 코드가 없으며 아무것도 출력하지 않습니다. Graphviz와 DOT 언어를 소개합니다. 그래프는
``digraph g { x [label="x", color=orange, style=filled]; ... }``와 같은 텍스트로 표현하며, 노드마다 한 줄(변수는
주황색 타원, 함수는 하늘색 사각형), 에지마다 ``a -> b`` 한 줄을 씁니다. 이를 ``dot`` 프로그램으로 그립니다
(``dot sample.dot -T png -o sample.png``). 26단계에서는 DeZero의 계산 그래프로부터 이 텍스트를 만듭니다.
Graphviz는 ``apt-get install graphviz``, ``brew install graphviz`` 또는 graphviz.org의 Windows 설치 파일로
설치합니다(Windows에서는 ``bin`` 폴더를 PATH에 추가).
"""
