package io.quanthub.inference.model;

import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.Weight;

/**
 * A PyTorch {@code Linear}: the weight [out, in] stays in the model file, the bias (null for none) is small and kept
 * as floats.
 */
public record Linear(Weight weight, float[] bias) {
    /** {@code name.weight} and {@code name.bias}. */
    public static Linear of(ModelWeights weights, String name) {
        Weight w = weights.weight(name + ".weight");
        float[] bias = weights.vector(name + ".bias");
        if (bias.length != w.rows()) {
            throw new IllegalArgumentException(name + ".bias has " + bias.length + " values for " + w.rows()
                    + " outputs");
        }
        return new Linear(w, bias);
    }

    /** A Linear without bias (T5's, CLIP's text projection): the weight {@code name}. */
    public static Linear withoutBias(ModelWeights weights, String name) {
        return new Linear(weights.weight(name), null);
    }

    public int outFeatures() {
        return weight.rows();
    }

    /** {@code x} [tokens x in] to [tokens x out]. */
    public float[] apply(ComputeBackend backend, float[] x, int tokens) {
        return backend.matmul(x, tokens, weight, bias);
    }

    /** {@link #apply(ComputeBackend, float[], int)} into {@code out} [tokens x out]. */
    public float[] apply(ComputeBackend backend, float[] x, int tokens, float[] out) {
        return backend.matmul(x, tokens, weight, bias, out);
    }
}
