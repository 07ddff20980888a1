"""Step 56: CNN mechanics (2) (CNN 메커니즘(2)).

This stage has no code; it prints nothing. It continues the mechanics of convolutional networks with
tensors of three and four dimensions. An image has channels (C, H, W), and a convolution uses one kernel
of the same depth (C, KH, KW) for each output channel, so OC kernels, a weight of shape (OC, C, KH, KW),
turn a (C, H, W) input into an (OC, OH, OW) output, plus a bias of one value per output channel. A
mini-batch adds a leading axis: (N, C, H, W) becomes (N, OC, OH, OW). Pooling shrinks the height and the
width with a fixed rule over each window (the maximum for max pooling, the mean for average pooling); it
has no parameters, keeps the number of channels and is robust to small shifts of the input. Step 57
implements both with ``im2col``.

이 단계에는 코드가 없으며 아무것도 출력하지 않습니다. 3차원과 4차원 텐서로 합성곱 신경망의 메커니즘을
이어서 설명합니다. 이미지는 채널을 포함해 (C, H, W) 형상이고, 합성곱은 출력 채널마다 입력과 같은 깊이의
필터 (C, KH, KW)를 하나씩 씁니다. 따라서 필터 OC개, 즉 (OC, C, KH, KW) 형상의 가중치가 (C, H, W) 입력을
(OC, OH, OW) 출력으로 바꾸며, 편향은 출력 채널마다 값이 하나입니다. 미니배치는 맨 앞에 축을 하나 더해
(N, C, H, W)를 (N, OC, OH, OW)로 바꿉니다. 풀링은 각 윈도우에 정해진 규칙(최대 풀링은 최댓값, 평균 풀링은
평균)을 적용해 높이와 너비를 줄입니다. 학습할 매개변수가 없고, 채널 수를 바꾸지 않으며, 입력의 작은
변화에 강건합니다. 57단계에서 ``im2col``로 둘 다 구현합니다.
"""
