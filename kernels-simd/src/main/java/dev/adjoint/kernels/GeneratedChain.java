package dev.adjoint.kernels;

/**
 * A {@link FusedProgram} bound to its generated class for one pattern of scalar operands (which
 * operands are broadcast over the whole run): the class ({@code null} when this pattern cannot be
 * generated, so the block interpreter runs it), the program values that feed its scalar slots,
 * and the operands it loads as vectors. Cached on the program, so a warm run looks nothing up.
 *
 * @param scalarInputs bit k set when operand k is a scalar in this pattern
 * @param kernel the generated loop, or null
 * @param scalar per program value, whether it is a scalar register in this pattern (the driver computes those)
 * @param scalarValues for scalar slot j, the id of the program value it holds
 * @param vectorInputs the operands the loop reads as vectors
 * @param lanes vector length of the loop
 */
record GeneratedChain(long scalarInputs, FusedKernel kernel, boolean[] scalar, int[] scalarValues, int[] vectorInputs, int lanes) {}
