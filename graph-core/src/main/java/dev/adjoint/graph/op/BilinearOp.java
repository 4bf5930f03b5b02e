package dev.adjoint.graph.op;

/**
 * A primitive of two operands that is linear in each with the other fixed ({@code dot_general},
 * {@code conv}): JAX's {@code defbilinear}. Its tangent is {@code op(dx, y) + op(x, dy)}, and its
 * transpose with respect to either operand is another instance of a primitive.
 */
public sealed interface BilinearOp extends Op permits DotGeneral, Conv {}
