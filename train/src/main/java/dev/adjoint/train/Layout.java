package dev.adjoint.train;

/** Where the channel axis of an image-like tensor is. */
public enum Layout {
    /** Channels first, {@code [N, C, S..]} (PyTorch's). */
    NCHW,
    /** Channels last, {@code [N, S.., C]} (the executor's native convolution layout; no transposes). */
    NHWC;

    /** The channel axis for a tensor of rank {@code rank}. */
    public int channelAxis(int rank) { return this == NCHW ? 1 : rank - 1; }
}
