"""onnxruntime as the oracle for quantized (int8) models.

Run it with the venv's python that scripts/setup-system.mjs makes (.cache/onnxruntime-venv):
it needs onnxruntime and onnx, which Debian does not package.

  quantize_onnx.py quantize --model in.onnx --calibration calib.npy --out out.int8.onnx
      [--per-channel] [--activation-type uint8|int8] [--weight-type int8|uint8]
      [--format qdq|qoperator]
    Static quantization (onnxruntime.quantization.quantize_static, MinMax calibration) over the
    rows of calib.npy (float32, NCHW), fed one batch of 1 at a time under the model's input.
    Shape inference (quant_pre_process) runs only when quantize_static fails without it.

  quantize_onnx.py run --model m.onnx --input x.npy --out y.npy
    Runs the model on onnxruntime's CPUExecutionProvider (one thread, default graph
    optimizations) and saves its first output as float32 .npy.

Each prints one line saying what it did.
"""
import argparse
import os
import sys
import tempfile
from collections import Counter

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quant_pre_process, quantize_static)

QUANT_TYPES = {'uint8': QuantType.QUInt8, 'int8': QuantType.QInt8}
FORMATS = {'qdq': QuantFormat.QDQ, 'qoperator': QuantFormat.QOperator}


def input_name(model_path):
    """The model's one graph input that is not an initializer."""
    m = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    names = [i.name for i in m.graph.input if i.name not in inits]
    if len(names) != 1:
        sys.exit(f'quantize_onnx.py: {model_path} has {len(names)} inputs ({names}); expected one')
    return names[0]


class Rows(CalibrationDataReader):
    """The rows of an NCHW array, one batch of 1 at a time."""

    def __init__(self, name, data):
        self.name = name
        self.data = data
        self.i = 0

    def get_next(self):
        if self.i >= len(self.data):
            return None
        self.i += 1
        return {self.name: self.data[self.i - 1:self.i]}

    def rewind(self):
        self.i = 0


def op_types(path):
    """'Conv x2, Relu x3, ...' in the order op types first appear."""
    counts = Counter(n.op_type for n in onnx.load(path).graph.node)
    return ', '.join(f'{op} x{n}' if n > 1 else op for op, n in counts.items())


def quantize(args):
    calib = np.load(args.calibration).astype(np.float32, copy=False)
    if calib.ndim < 2 or len(calib) == 0:
        sys.exit(f'quantize_onnx.py: {args.calibration} has shape {calib.shape}; expected N rows of the model input')
    name = input_name(args.model)

    def run(model):
        quantize_static(model, args.out, Rows(name, calib), quant_format=FORMATS[args.format],
                        per_channel=args.per_channel, activation_type=QUANT_TYPES[args.activation_type],
                        weight_type=QUANT_TYPES[args.weight_type], calibrate_method=CalibrationMethod.MinMax)

    preprocessed = False
    try:
        run(args.model)
    except Exception as e:  # the quantizer needs shapes it could not infer: add them, then retry
        print(f'quantize_onnx.py: quantize_static failed without pre-processing ({type(e).__name__}: {e}); '
              'running quant_pre_process', file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            pre = os.path.join(tmp, 'pre.onnx')
            quant_pre_process(args.model, pre)
            run(pre)
        preprocessed = True
    print(f'quantized {args.model} -> {args.out} ({args.format.upper()}, '
          f'{"per-channel" if args.per_channel else "per-tensor"}, activations {args.activation_type}, '
          f'weights {args.weight_type}, MinMax over {len(calib)} rows'
          f'{", after quant_pre_process" if preprocessed else ""}): {op_types(args.out)}')


def run(args):
    x = np.load(args.input).astype(np.float32, copy=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    if args.no_optimize:
        # The file's nodes as written: DequantizeLinear -> float op -> QuantizeLinear, no int8 fusion.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(args.model, options, providers=['CPUExecutionProvider'])
    y = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.save(args.out, np.asarray(y, dtype=np.float32))
    print(f'ran {args.model} on {args.input} {list(x.shape)} with onnxruntime {ort.__version__} (CPU, 1 thread) '
          f'{"(no graph optimizations) " if args.no_optimize else ""}-> {args.out} {list(y.shape)}')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = p.add_subparsers(dest='command', required=True)
    q = sub.add_parser('quantize', help='static quantization with MinMax calibration')
    q.add_argument('--model', required=True)
    q.add_argument('--calibration', required=True, help='float32 .npy, NCHW; each row is fed as a batch of 1')
    q.add_argument('--out', required=True)
    q.add_argument('--per-channel', action='store_true')
    q.add_argument('--activation-type', choices=list(QUANT_TYPES), default='uint8')
    q.add_argument('--weight-type', choices=list(QUANT_TYPES), default='int8')
    q.add_argument('--format', choices=list(FORMATS), default='qdq')
    r = sub.add_parser('run', help="run a model on onnxruntime's CPU provider")
    r.add_argument('--model', required=True)
    r.add_argument('--input', required=True)
    r.add_argument('--out', required=True)
    r.add_argument('--no-optimize', action='store_true', help='no graph optimizations: QDQ nodes run as written, in float')
    args = p.parse_args()
    {'quantize': quantize, 'run': run}[args.command](args)


if __name__ == '__main__':
    main()
