import protobuf from 'protobufjs/light.js';

/**
 * The subset of ONNX's protobuf schema (package `onnx`, proto2) that webconv reads, as a
 * protobufjs JSON descriptor. Field names, numbers and types follow the ONNX spec;
 * messages and fields webconv has no use for (functions, sparse tensors, subgraphs,
 * training info) are left out, and protobufjs skips them when decoding.
 */
const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: { type: 'int64', id: 1 },
            opset_import: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producer_name: { type: 'string', id: 2 },
            producer_version: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            model_version: { type: 'int64', id: 5 },
            doc_string: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadata_props: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            doc_string: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            value_info: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            op_type: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            doc_string: { type: 'string', id: 6 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            ref_attr_name: { type: 'string', id: 21 },
            doc_string: { type: 'string', id: 13 },
            type: { type: 'AttributeType', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7,
                STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12,
                TYPE_PROTO: 13, TYPE_PROTOS: 14,
              },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            doc_string: { type: 'string', id: 3 },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensor_type'] } },
          fields: {
            tensor_type: { type: 'Tensor', id: 1 },
            denotation: { type: 'string', id: 6 },
          },
          nested: {
            Tensor: {
              fields: {
                elem_type: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'Dimension', id: 1 },
          },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              fields: {
                dim_value: { type: 'int64', id: 1 },
                dim_param: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            data_type: { type: 'int32', id: 2 },
            float_data: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
            int32_data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
            string_data: { rule: 'repeated', type: 'bytes', id: 6 },
            int64_data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            doc_string: { type: 'string', id: 12 },
            raw_data: { type: 'bytes', id: 9 },
            external_data: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            data_location: { type: 'DataLocation', id: 14 },
            double_data: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
            uint64_data: { rule: 'repeated', type: 'uint64', id: 11, options: { packed: true } },
          },
          nested: {
            DataType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7,
                STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14,
                COMPLEX128: 15, BFLOAT16: 16,
              },
            },
            DataLocation: { values: { DEFAULT: 0, EXTERNAL: 1 } },
          },
        },
      },
    },
  },
};

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

const root = protobuf.Root.fromJSON(descriptor);

const ModelProto = root.lookupType('onnx.ModelProto');
const TensorProto = root.lookupType('onnx.TensorProto');

/** The protobufjs types, for tests that encode models. */
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
function decode(type: protobuf.Type, bytes: Uint8Array): { [k: string]: any } {
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
