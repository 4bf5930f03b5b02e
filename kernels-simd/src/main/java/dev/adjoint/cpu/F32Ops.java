package dev.adjoint.cpu;

import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.Comparison;
import dev.adjoint.graph.op.UnaryFn;
import dev.adjoint.kernels.BinaryKernelOp;
import dev.adjoint.kernels.CompareKernelOp;
import dev.adjoint.kernels.UnaryKernelOp;

/** The f32 vector kernel op of each graph function, or null where there is none (bool/integer-only functions). */
final class F32Ops {
    private F32Ops() {}

    /** The f32 vector kernel of a unary function; null for those defined on bool and integers only. */
    static UnaryKernelOp unary(UnaryFn fn) {
        return switch (fn) {
            case NEG -> UnaryKernelOp.NEG;
            case EXP -> UnaryKernelOp.EXP;
            case LOG -> UnaryKernelOp.LOG;
            case TANH -> UnaryKernelOp.TANH;
            case LOGISTIC -> UnaryKernelOp.LOGISTIC;
            case SQRT -> UnaryKernelOp.SQRT;
            case RSQRT -> UnaryKernelOp.RSQRT;
            case ABS -> UnaryKernelOp.ABS;
            case SIGN -> UnaryKernelOp.SIGN;
            case ERF -> UnaryKernelOp.ERF;
            case SIN -> UnaryKernelOp.SIN;
            case COS -> UnaryKernelOp.COS;
            case ATAN -> UnaryKernelOp.ATAN;
            case LOG1P -> UnaryKernelOp.LOG1P;
            case EXPM1 -> UnaryKernelOp.EXPM1;
            case FLOOR -> UnaryKernelOp.FLOOR;
            case CEIL -> UnaryKernelOp.CEIL;
            case ROUND -> UnaryKernelOp.ROUND;
            case NOT -> null;
        };
    }

    /** The f32 vector kernel of a binary function; null for the bool/integer-only ones. */
    static BinaryKernelOp binary(BinaryFn fn) {
        return switch (fn) {
            case ADD -> BinaryKernelOp.ADD;
            case SUB -> BinaryKernelOp.SUB;
            case MUL -> BinaryKernelOp.MUL;
            case DIV -> BinaryKernelOp.DIV;
            case MAX -> BinaryKernelOp.MAX;
            case MIN -> BinaryKernelOp.MIN;
            case POW -> BinaryKernelOp.POW;
            case REM -> BinaryKernelOp.REM;
            case AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC -> null;
        };
    }

    static CompareKernelOp compare(Comparison c) {
        return switch (c) {
            case LT -> CompareKernelOp.LT;
            case LE -> CompareKernelOp.LE;
            case GT -> CompareKernelOp.GT;
            case GE -> CompareKernelOp.GE;
            case EQ -> CompareKernelOp.EQ;
            case NE -> CompareKernelOp.NE;
        };
    }
}
