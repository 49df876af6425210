import { describe, expect, it } from 'vitest';
import { AttributeError, finalizeGraph, GraphBuilder, GraphError, ShapeError, type Initializer, type Node } from '../src/index.js';

const x = (shape: number[]) => new GraphBuilder('t').input('x', shape);

describe('shape inference', () => {
  it('conv: stride, asymmetric padding, dilation, groups, non-square kernels', () => {
    expect(x([2, 3, 227, 227]).conv('c', 96, 11, { stride: 4 }).shape).toEqual([2, 96, 55, 55]);
    // pads [top, left, bottom, right]: H = 10 + 1 + 0 - 3 + 1 = 9, W = 10 + 0 + 2 - 3 + 1 = 10
    expect(x([1, 4, 10, 10]).conv('c', 8, 3, { pad: [1, 0, 0, 2] }).shape).toEqual([1, 8, 9, 10]);
    // dilation 2 makes a 3x3 kernel span 5
    expect(x([1, 4, 10, 10]).conv('c', 8, 3, { dilation: 2 }).shape).toEqual([1, 8, 6, 6]);
    expect(x([1, 6, 9, 9]).conv('c', 6, 3, { groups: 6, pad: 1, stride: 2 }).shape).toEqual([1, 6, 5, 5]);
    expect(x([1, 4, 17, 17]).conv('c', 8, [1, 7], { pad: [0, 3] }).shape).toEqual([1, 8, 17, 17]);
  });

  it('pooling: overlapping windows, padding, ceil mode as PyTorch computes it', () => {
    expect(x([1, 96, 55, 55]).maxpool('p', 3, { stride: 2 }).shape).toEqual([1, 96, 27, 27]);
    expect(x([1, 64, 112, 112]).maxpool('p', 3, { stride: 2, pad: 1 }).shape).toEqual([1, 64, 56, 56]);
    // torchvision GoogLeNet: MaxPool2d(3, 2, ceil_mode=True) on 112 -> 56
    expect(x([1, 64, 112, 112]).maxpool('p', 3, { stride: 2, ceilMode: true }).shape).toEqual([1, 64, 56, 56]);
    // ceil mode keeps a partial last window (6 + 2 pad -> 4) but drops one that would start
    // in the right padding (5 + 2 pad: ceil gives 4, the 4th window starts at 6 >= 5 + 1 -> 3)
    expect(x([1, 1, 6, 6]).maxpool('p', 2, { stride: 2, pad: 1, ceilMode: true }).shape).toEqual([1, 1, 4, 4]);
    expect(x([1, 1, 5, 5]).maxpool('p', 2, { stride: 2, pad: 1, ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    expect(x([1, 1, 5, 5]).avgpool('p', 2, { stride: 2, ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    expect(x([1, 8, 7, 5]).globalAvgPool('g').shape).toEqual([1, 8, 1, 1]);
  });

  it('fc flattens; concat adds channels; add needs equal shapes', () => {
    const b = new GraphBuilder('t');
    const a = b.input('x', [2, 4, 3, 3]);
    expect(a.fc('fc', 10).shape).toEqual([2, 10]);
    expect(b.concat('cat', [a.conv('c1', 5, 1), a.conv('c2', 7, 1)]).shape).toEqual([2, 12, 3, 3]);
    expect(() => a.add(a.conv('c3', 5, 1))).toThrow(ShapeError);
  });

  it('a 1x1 input through a 1x1 conv and global pooling', () => {
    expect(x([3, 5, 1, 1]).conv('c', 2, 1).globalAvgPool('g').fc('f', 4).shape).toEqual([3, 4]);
  });

  it('errors name the node, the attribute, what was expected and what was found', () => {
    expect(() => x([1, 3, 8, 8]).conv('conv9', 4, 3, { stride: 0 })).toThrow(
      /node 'conv9': attribute 'stride' must be 2 integers >= 1, found \[0, 0\]/,
    );
    expect(() => x([1, 3, 8, 8]).conv('conv9', 4, 3, { pad: -1 })).toThrow(AttributeError);
    expect(() => x([1, 6, 8, 8]).conv('g', 4, 3, { groups: 4 })).toThrow(/attribute 'groups'/);
    expect(() => x([1, 3, 2, 2]).conv('big', 4, 5)).toThrow(/node 'big' \(attribute 'kernel'\): expected padded input H >= kernel extent 5, found 2/);
    expect(() => x([1, 3, 8, 8]).maxpool('p', 9)).toThrow(ShapeError);
    expect(() => x([1, 3, 8]).conv('c', 4, 3)).toThrow(/expected input of shape \[N, C, H, W\], found \[1, 3, 8\]/);
  });
});

describe('graph validation', () => {
  const init = (name: string, shape: number[]): [string, Initializer] => [name, { name, shape, trainable: true }];
  const node = (name: string, op: Node['op'], inputs: string[], attrs = {}): Node => ({ name, op, inputs, outputs: [name], attrs, layer: name });

  it('reorders nodes topologically', () => {
    const g = finalizeGraph('t', [{ name: 'x', shape: [1, 2] }], ['b'], [node('b', 'relu', ['a']), node('a', 'relu', ['x'])], new Map());
    expect(g.nodes.map((n) => n.name)).toEqual(['a', 'b']);
  });

  it('rejects a cycle, an unknown input, a duplicate name, a missing output, a wrong arity', () => {
    const inputs = [{ name: 'x', shape: [1, 2] }];
    expect(() => finalizeGraph('t', inputs, ['a'], [node('a', 'add', ['x', 'b']), node('b', 'relu', ['a'])], new Map())).toThrow(/cycle through nodes: a, b/);
    expect(() => finalizeGraph('t', inputs, ['a'], [node('a', 'relu', ['nope'])], new Map())).toThrow(/input 'nope' is neither/);
    expect(() => finalizeGraph('t', inputs, ['a'], [node('a', 'relu', ['x']), node('a', 'relu', ['x'])], new Map())).toThrow(GraphError);
    expect(() => finalizeGraph('t', inputs, ['z'], [node('a', 'relu', ['x'])], new Map())).toThrow(/output 'z' is never produced/);
    expect(() => finalizeGraph('t', inputs, ['a'], [node('a', 'relu', ['x', 'x'])], new Map())).toThrow(/expected 1..1 inputs, found 2/);
  });

  it('rejects a weight whose shape does not fit', () => {
    const inits = new Map([init('w', [4, 3, 3, 3])]);
    const conv = node('c', 'conv2d', ['x', 'w'], { kernel: [3, 3], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 });
    expect(() => finalizeGraph('t', [{ name: 'x', shape: [1, 5, 8, 8] }], ['c'], [conv], inits)).toThrow(/node 'c': expected input channels 3/);
    expect(finalizeGraph('t', [{ name: 'x', shape: [1, 3, 8, 8] }], ['c'], [conv], inits).shape('c')).toEqual([1, 4, 6, 6]);
  });

  it('weights are seeded: the same seed gives the same values, another seed others', () => {
    const build = (seed: number) => {
      const b = new GraphBuilder('t', seed);
      return b.build([b.input('x', [1, 3, 4, 4]).conv('c', 2, 3)]);
    };
    const a = build(1).weight('c.weight');
    expect(a.length).toBe(2 * 3 * 9);
    expect(build(1).weight('c.weight')).toEqual(a);
    expect(build(2).weight('c.weight')).not.toEqual(a);
    const bound = Math.sqrt(6 / 27);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
  });
});
