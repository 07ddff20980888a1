"""Export every model of tests/onnx_cases.py and print, as a Markdown table, how far ONNX Runtime's
outputs are from dezero's (the figures of docs/saving.md).

    python tools/onnx_report.py            # all models (VGG16 at 224x224 takes about half a minute)

Relative difference: max |onnx - dezero| / max |dezero| over each output, the largest over the
outputs; at the example's batch size and at another one (the same file: the batch axis is dynamic).
"""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests'))
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import onnxruntime  # noqa: E402

import onnx_cases  # noqa: E402


def main(names=None):
    print(f'ONNX Runtime {onnxruntime.__version__}, float32\n')
    print('| model | relative difference | at another batch size | largest absolute difference |')
    print('|---|---:|---:|---:|')
    with tempfile.TemporaryDirectory() as folder:
        for name in names or onnx_cases.CASES:
            r = onnx_cases.run_case(name, os.path.join(folder, name + '.onnx'), onnxruntime)
            largest = max(r['example'][0], r['other'][0])
            print(f'| {name} | {r["example"][1]:.1e} | {r["other"][1]:.1e} | {largest:.1e} |', flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
