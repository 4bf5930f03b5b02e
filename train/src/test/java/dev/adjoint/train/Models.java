package dev.adjoint.train;

/** The models the tests share. */
final class Models {
    private Models() {}

    /** LeNet-5 as PyTorch's {@code nn.Sequential} in torch_reference.py, NCHW, for 28x28 images. */
    static Sequential lenet() {
        return Sequential.of(Conv.conv2d(1, 6, 5).padding(2), Activation.RELU, Pool.max2d(2), Conv.conv2d(6, 16, 5), Activation.RELU,
                Pool.max2d(2), Flatten.of(), Linear.of(400, 120), Activation.RELU, Linear.of(120, 84), Activation.RELU, Linear.of(84, 10));
    }
}
