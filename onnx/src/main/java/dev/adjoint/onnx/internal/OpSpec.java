package dev.adjoint.onnx.internal;

import java.util.Set;

/**
 * One supported ONNX op: its mapper, the attributes the mapper understands (any other present is
 * an error), and the opsets it is written for.
 */
record OpSpec(String opType, Set<String> attributes, long minOpset, long maxOpset, OpMapper mapper) {}
