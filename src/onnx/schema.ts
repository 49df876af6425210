import protobuf from 'protobufjs/minimal.js';
import { onnx } from './onnx-pb.generated.js';

/*
 * The subset of ONNX's protobuf schema (package `onnx`, proto2) that webconv reads is
 * src/onnx/onnx-subset.json, a protobufjs JSON descriptor: field names, numbers and types
 * follow the ONNX spec; messages and fields webconv has no use for (functions, sparse
 * tensors, subgraphs, training info) are left out and skipped when decoding. Its codec,
 * onnx-pb.generated.ts, is generated from it by protobufjs's pbjs (scripts/gen-onnx-codec.mjs).
 */

/** ONNX TensorProto.DataType values. */
export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8,
  BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

/** ONNX AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

/** The name of a data type value, for messages ("INT64", or "type 42" when unknown). */
export function dataTypeName(t: number): string {
  return Object.entries(DataType).find(([, v]) => v === t)?.[0] ?? `type ${t}`;
}

/** The name of an attribute type value, for messages. */
export function attributeTypeName(t: number): string {
  return Object.entries(AttributeType).find(([, v]) => v === t)?.[0] ?? `type ${t}`;
}

/** A message type of the generated codec: what webconv and its tests use of it. */
export interface MessageType {
  decode(reader: Uint8Array | protobuf.Reader): object;
  encode(message: object, writer?: protobuf.Writer): protobuf.Writer;
  fromObject(object: { [k: string]: any }): object;
  toObject(message: object, options?: protobuf.IConversionOptions): { [k: string]: any };
}

// The generated module is untyped (// @ts-nocheck): its types are declared here.
const codec = onnx as { ModelProto: MessageType; TensorProto: MessageType };
const ModelProto = codec.ModelProto;
const TensorProto = codec.TensorProto;

/** The codec's message types, for encoding models (src/onnx/export.ts, tests). */
export const onnxTypes = { ModelProto, TensorProto };

/*
 * Decoded messages as plain objects (see decode below): int64 fields are numbers (exact up
 * to 2^53, beyond every size and index webconv accepts), absent scalars hold their
 * defaults, absent repeated fields are empty arrays and absent messages are null. Of a
 * oneof only the member present is set, so dim_value / dim_param keep their presence.
 */
export interface StringStringEntry {
  key: string;
  value: string;
}
export interface OperatorSetId {
  domain: string;
  version: number;
}
export interface TensorMessage {
  dims: number[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  int64_data: number[];
  double_data: number[];
  raw_data: Uint8Array;
  name: string;
  external_data: StringStringEntry[];
  data_location: number;
}
export interface AttributeMessage {
  name: string;
  ref_attr_name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array;
  t: TensorMessage | null;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorMessage[];
}
export interface NodeMessage {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeMessage[];
}
export interface DimensionMessage {
  dim_value?: number;
  dim_param?: string;
}
export interface ValueInfoMessage {
  name: string;
  type: { tensor_type?: { elem_type: number; shape: { dim: DimensionMessage[] } | null } } | null;
}
export interface GraphMessage {
  node: NodeMessage[];
  name: string;
  initializer: TensorMessage[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
}
export interface ModelMessage {
  ir_version: number;
  opset_import: OperatorSetId[];
  producer_name: string;
  graph: GraphMessage | null;
}

/**
 * Decodes with protobufjs, then converts to a plain object: int64 as numbers (protobufjs
 * yields Long objects when long.js is loaded), enums as numbers, bytes as Uint8Array
 * views into `bytes`. Throws what protobufjs throws on malformed input (RangeError, Error).
 */
function decode(type: MessageType, bytes: Uint8Array): { [k: string]: any } {
  // int64 fields decode straight to numbers, as `longs: Number` would convert them anyway:
  // with long.js loaded, protobufjs makes a Long object per int64 first, which made a
  // 100,000-node model take seconds. The reader's int64 functions are chosen by configure(),
  // so Long is set aside for this synchronous decode and restored before anything else runs.
  const util = protobuf.util as { Long: unknown };
  const Long = util.Long;
  if (Long) {
    util.Long = null;
    protobuf.configure();
  }
  try {
    return type.toObject(type.decode(bytes), { longs: Number, enums: Number, defaults: true, arrays: true });
  } finally {
    if (Long) {
      util.Long = Long;
      protobuf.configure();
    }
  }
}

/** Decodes an ONNX ModelProto (see {@link decode} for what may be thrown). */
export function decodeModelProto(bytes: Uint8Array): ModelMessage {
  return decode(ModelProto, bytes) as ModelMessage;
}

/** Decodes an ONNX TensorProto (see {@link decode} for what may be thrown). */
export function decodeTensorMessage(bytes: Uint8Array): TensorMessage {
  return decode(TensorProto, bytes) as TensorMessage;
}
