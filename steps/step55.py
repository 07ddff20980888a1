"""Step 55: CNN mechanics (1) (CNN 메커니즘(1)).

Convolutional networks slide a kernel (filter) over the input. The output size follows from the input
size, the kernel size, the stride and the padding: OH = (H + 2·PH − KH) // SH + 1, and the same for the
width. This stage is plain Python (no NumPy, no dezero): for a 4×4 input, a 3×3 kernel, stride 1 and
padding 1, the output is again 4×4. The function is in the library as ``dezero.utils.get_conv_outsize``.

Prints ``4 4``.
"""


def get_conv_outsize(input_size, kernel_size, stride, pad):
    return (input_size + pad * 2 - kernel_size) // stride + 1


H, W = 4, 4  # Input size
KH, KW = 3, 3  # Kernel size
SH, SW = 1, 1  # Kernel stride
PH, PW = 1, 1  # Padding size

OH = get_conv_outsize(H, KH, SH, PH)
OW = get_conv_outsize(W, KW, SW, PW)
print(OH, OW)
