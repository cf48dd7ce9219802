// Writes a tiny ONNX model (Y = X·W + B) by hand-encoding its protobuf, so the SER slot is
// tested against a real onnxruntime session without shipping or downloading a model.

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: number[] | Uint8Array) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

function tensor(name: string, dims: number[], values: number[]): number[] {
  const raw = new Uint8Array(new Float32Array(values).buffer);
  return [...dims.flatMap((d) => int(1, d)), ...int(2, 1), ...str(8, name), ...bytes(9, raw)];
}

function valueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, int(1, d)));
  const tensorType = [...int(1, 1), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function node(op: string, inputs: string[], outputs: string[]): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, op.toLowerCase()), ...str(4, op)];
}

/** ONNX bytes of Y[1,out] = X[1,in]·W[in,out] + B[out]. */
export function linearModel(w: number[][], b: number[], opts: { outName?: string } = {}): Uint8Array {
  const nIn = w.length;
  const nOut = b.length;
  const out = opts.outName ?? 'Y';
  const graph = [
    ...bytes(1, node('MatMul', ['X', 'W'], ['XW'])),
    ...bytes(1, node('Add', ['XW', 'B'], [out])),
    ...str(2, 'ser'),
    ...bytes(5, tensor('W', [nIn, nOut], w.flat())),
    ...bytes(5, tensor('B', [nOut], b)),
    ...bytes(11, valueInfo('X', [1, nIn])),
    ...bytes(12, valueInfo(out, [1, nOut])),
  ];
  return Uint8Array.from([...int(1, 7), ...str(2, 'earshot-test'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 13)])]);
}
