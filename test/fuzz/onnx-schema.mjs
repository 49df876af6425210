/**
 * The ONNX protobuf types the fuzzer encodes models with: the SDK's own schema
 * (src/onnx/schema.ts, built to dist/onnx/schema.js), so the fields are exactly those the
 * importer reads; byte-level mutations reach everything else.
 */
import { distUrl } from './paths.mjs';

const schema = await import(distUrl('onnx/schema.js'));
export const DataType = schema.DataType;
export const AttributeType = schema.AttributeType;
export const ModelProto = schema.onnxTypes.ModelProto;
