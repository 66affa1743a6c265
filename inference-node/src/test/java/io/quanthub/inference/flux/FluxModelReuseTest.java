package io.quanthub.inference.flux;

import io.quanthub.inference.TinyFlux;
import io.quanthub.inference.compute.ForwardingBackend;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A preview node renders many images with one model in one process: calls after the first write their activations
 * into the arrays of the first (instead of allocating, zeroing and collecting a few GB of humongous arrays per call at
 * Flux size, which made every second call slower and grew the resident memory), and give the same result.
 */
class FluxModelReuseTest {
    @Test
    void laterCallsReuseTheActivationArraysAndGiveTheSameOutput() throws IOException {
        try (ModelWeights weights = ModelWeights.open(TinyFlux.model())) {
            RecordingBackend backend = new RecordingBackend();
            FluxModel flux = new FluxModel(weights, backend);
            FluxInputs in = FluxInputs.readSafetensors(TinyFlux.dir().resolve("forward.safetensors"));
            float[] first = flux.forward(in);
            Set<float[]> firstArrays = backend.outputs;
            backend.outputs = Collections.newSetFromMap(new IdentityHashMap<>());
            float[] second = flux.forward(in);
            float[] third = flux.forward(in);
            assertArrayEquals(first, second);
            assertArrayEquals(first, third);
            // The returned output is the caller's to keep: one new array per call (final_layer.linear), no other.
            assertEquals(3, backend.allocating, "token-row results in new arrays in 3 calls");
            Set<float[]> fresh = Collections.newSetFromMap(new IdentityHashMap<>());
            fresh.addAll(backend.outputs);
            fresh.removeAll(firstArrays);
            assertEquals(Set.of(), fresh, "calls 2 and 3 wrote into " + fresh.size() + " arrays call 1 did not have");
        }
    }

    /** The CPU backend, noting the arrays that matmul, layerNorm and attention write their [tokens x n] results to. */
    private static final class RecordingBackend extends ForwardingBackend {
        Set<float[]> outputs = Collections.newSetFromMap(new IdentityHashMap<>());
        /** Calls of the allocating forms with more than one token (the per-call vectors may allocate). */
        int allocating;

        RecordingBackend() {
            super(new CpuBackend());
        }

        @Override
        public float[] matmul(float[] x, int tokens, Weight w, float[] bias) {
            if (tokens > 1) allocating++;
            return delegate.matmul(x, tokens, w, bias);
        }

        @Override
        public float[] matmul(float[] x, int tokens, Weight w, float[] bias, float[] out) {
            outputs.add(out);
            return delegate.matmul(x, tokens, w, bias, out);
        }

        @Override
        public float[] layerNorm(float[] x, int tokens, int dim) {
            allocating++;
            return delegate.layerNorm(x, tokens, dim);
        }

        @Override
        public float[] layerNorm(float[] x, int tokens, int dim, float[] out) {
            outputs.add(out);
            return delegate.layerNorm(x, tokens, dim, out);
        }

        @Override
        public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim) {
            allocating++;
            return delegate.attention(q, k, v, tokens, heads, headDim);
        }

        @Override
        public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, float[] out) {
            outputs.add(out);
            return delegate.attention(q, k, v, tokens, heads, headDim, out);
        }
    }
}
