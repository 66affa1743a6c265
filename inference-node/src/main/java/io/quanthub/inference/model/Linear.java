package io.quanthub.inference.model;

import io.quanthub.inference.compute.BackendWeight;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.compute.Weight;

/**
 * A PyTorch {@code Linear} loaded into a backend: the weight [out, in] in its stored type, the bias (null for none)
 * as a [1 x out] tensor.
 */
public record Linear(BackendWeight weight, Tensor bias) {
    /** {@code name.weight} and {@code name.bias}. */
    public static Linear of(ComputeBackend backend, ModelWeights weights, String name) {
        Weight w = weights.weight(name + ".weight");
        float[] bias = weights.vector(name + ".bias");
        if (bias.length != w.rows()) {
            throw new IllegalArgumentException(name + ".bias has " + bias.length + " values for " + w.rows()
                    + " outputs");
        }
        return new Linear(backend.load(w), backend.upload(bias));
    }

    /** A Linear without bias (T5's, CLIP's text projection): the weight {@code name}. */
    public static Linear withoutBias(ComputeBackend backend, ModelWeights weights, String name) {
        return new Linear(backend.load(weights.weight(name)), null);
    }

    public int outFeatures() {
        return weight.rows();
    }

    /** {@code x} [tokens x in] to a new tensor [tokens x out]. */
    public Tensor apply(ComputeBackend backend, Tensor x) {
        return backend.matmul(x, weight, bias);
    }
}
