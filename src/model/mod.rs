//! The layout transformer: vocabulary, grammar, ONNX Runtime sessions,
//! constrained decoding, tokens to `Layout`.
