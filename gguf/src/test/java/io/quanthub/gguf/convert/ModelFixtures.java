package io.quanthub.gguf.convert;

import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.synthetic.FluxShape;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.gguf.synthetic.SyntheticTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Synthetic diffusion models for converter tests: tensor lists shaped like real architectures, and files written from
 * them by {@link SyntheticModel} (deterministic values, streamed, any size).
 */
final class ModelFixtures {
    private ModelFixtures() {
    }

    /**
     * A tensor known only by name, shape and dtype, for the planning rules (which never read data). Reading it is an
     * error.
     */
    record Meta(String name, Dtype dtype, long[] shape) implements SourceTensor {
        static Meta of(SyntheticTensor s) {
            return new Meta(s.name(), s.dtype(), s.shape());
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public void readFloats(long firstElement, float[] dst, int dstOff, int count) {
            throw new UnsupportedOperationException("planning-only tensor " + name);
        }
    }

    static List<SourceTensor> meta(List<SyntheticTensor> specs) {
        return specs.stream().<SourceTensor>map(Meta::of).toList();
    }

    /** A model file; tensor {@code i} gets the synthetic values of seed {@code seed + i}. */
    static Path write(Path file, List<SyntheticTensor> specs, long seed) throws IOException {
        return SyntheticModel.write(file, specs, seed);
    }

    /**
     * Flux's tensor names and shapes at hidden size {@code h}, with text context and vector widths of {@code h} too
     * (so small test models stay small).
     */
    static List<SyntheticTensor> flux(int h, int doubleBlocks, int singleBlocks, Dtype dtype) {
        return new FluxShape(h, doubleBlocks, singleBlocks, h, h).tensors(dtype);
    }
}
