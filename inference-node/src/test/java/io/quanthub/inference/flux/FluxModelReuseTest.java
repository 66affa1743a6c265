package io.quanthub.inference.flux;

import io.quanthub.inference.TinyFlux;
import io.quanthub.inference.compute.ForwardingBackend;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.BackendWeight;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A preview node renders many images with one model in one process: calls after the first write their activations
 * into the arrays of the first (instead of allocating, zeroing and collecting a few GB of humongous arrays per call at
 * Flux size, which made every second call slower and grew the resident memory), and give the same result. The
 * arrays are the backend's: freed tensors' storage comes back as later results.
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
            int firstCount = firstArrays.size();
            backend.outputs = Collections.newSetFromMap(new IdentityHashMap<>());
            float[] second = flux.forward(in);
            float[] third = flux.forward(in);
            assertArrayEquals(first, second);
            assertArrayEquals(first, third);
            assertTrue(firstCount > 0, "no token-row results recorded");
            Set<float[]> fresh = Collections.newSetFromMap(new IdentityHashMap<>());
            fresh.addAll(backend.outputs);
            fresh.removeAll(firstArrays);
            assertEquals(Set.of(), fresh, "calls 2 and 3 wrote into " + fresh.size() + " arrays call 1 did not have");
        }
    }

    /** The CPU backend, noting the arrays that matmul, layerNorm and attention write their [tokens x n] results to. */
    private static final class RecordingBackend extends ForwardingBackend {
        private final CpuBackend cpu;
        Set<float[]> outputs = Collections.newSetFromMap(new IdentityHashMap<>());

        RecordingBackend() {
            this(new CpuBackend());
        }

        private RecordingBackend(CpuBackend cpu) {
            super(cpu);
            this.cpu = cpu;
        }

        private Tensor note(Tensor t) {
            if (t.rows() > 1) outputs.add(cpu.array(t));
            return t;
        }

        @Override
        public Tensor matmul(Tensor x, BackendWeight w, Tensor bias) {
            return note(delegate.matmul(x, w, bias));
        }

        @Override
        public Tensor layerNorm(Tensor x, float eps, Tensor weight, Tensor bias) {
            return note(delegate.layerNorm(x, eps, weight, bias));
        }

        @Override
        public Tensor attention(Tensor q, Tensor k, Tensor v, int heads) {
            return note(delegate.attention(q, k, v, heads));
        }
    }
}
