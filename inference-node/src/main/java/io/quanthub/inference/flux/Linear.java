package io.quanthub.inference.flux;

import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.ModelWeights;

/** A PyTorch {@code Linear}: the weight [out, in] stays in the model file, the bias is small and kept as floats. */
record Linear(Weight weight, float[] bias) {
    /** {@code name.weight} and {@code name.bias}. */
    static Linear of(ModelWeights weights, String name) {
        Weight w = weights.weight(name + ".weight");
        float[] bias = weights.vector(name + ".bias");
        if (bias.length != w.rows()) {
            throw new IllegalArgumentException(name + ".bias has " + bias.length + " values for " + w.rows()
                    + " outputs");
        }
        return new Linear(w, bias);
    }

    int outFeatures() {
        return weight.rows();
    }

    /** {@code x} [tokens x in] to [tokens x out]. */
    float[] apply(ComputeBackend backend, float[] x, int tokens) {
        return backend.matmul(x, tokens, weight, bias);
    }

    /** {@link #apply(ComputeBackend, float[], int)} into {@code out} [tokens x out]. */
    float[] apply(ComputeBackend backend, float[] x, int tokens, float[] out) {
        return backend.matmul(x, tokens, weight, bias, out);
    }
}
