package dev.adjoint.kernels;

import java.util.Objects;

/**
 * What the GEMM applies to each output element after the product (and after adding the old
 * value of C when accumulating): first the bias, then the activation.
 *
 * <p>Immutable so that a compiled plan builds it once and every run reuses it without
 * allocating; the bias array is read at call time, so its contents may change between calls.
 *
 * @param bias       which axis the bias runs along, or {@link GemmBias#NONE}
 * @param biasData   the bias values (ignored, may be null, when {@code bias} is NONE)
 * @param biasOffset index in {@code biasData} of the bias for row or column 0
 * @param activation the activation applied last
 */
public record GemmEpilogue(GemmBias bias, float[] biasData, int biasOffset, GemmActivation activation) {

    /** Plain product: no bias, no activation. */
    public static final GemmEpilogue NONE = new GemmEpilogue(GemmBias.NONE, null, 0, GemmActivation.NONE);

    /** Checks that a bias mode other than NONE comes with data and a non-negative offset. */
    public GemmEpilogue {
        Objects.requireNonNull(bias, "bias");
        Objects.requireNonNull(activation, "activation");
        if (bias != GemmBias.NONE) {
            Objects.requireNonNull(biasData, "biasData is required when bias is " + bias);
            if (biasOffset < 0) throw new IllegalArgumentException("biasOffset " + biasOffset + " < 0");
        }
    }

    /** Only an activation, no bias. */
    public static GemmEpilogue of(GemmActivation activation) {
        return new GemmEpilogue(GemmBias.NONE, null, 0, activation);
    }

    /** A bias along {@code bias}'s axis, starting at {@code biasData[biasOffset]}, then {@code activation}. */
    public static GemmEpilogue of(GemmBias bias, float[] biasData, int biasOffset, GemmActivation activation) {
        return new GemmEpilogue(bias, biasData, biasOffset, activation);
    }
}
