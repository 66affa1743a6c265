package io.quanthub.inference.model;

import io.quanthub.gguf.safetensors.SafetensorsModel;
import io.quanthub.gguf.safetensors.SafetensorsTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * A small float tensor held in memory: model inputs and outputs (not weights).
 *
 * @param shape  PyTorch order
 * @param values row-major
 */
public record FloatTensor(long[] shape, float[] values) {
    public FloatTensor {
        shape = shape.clone();
        long n = 1;
        for (long d : shape) n *= d;
        if (n != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got "
                    + values.length);
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Every tensor of a safetensors file, widened to float (F32, F16, BF16 and float8 files). */
    public static SequencedMap<String, FloatTensor> readSafetensors(Path path) throws IOException {
        try (SafetensorsModel model = SafetensorsModel.open(path)) {
            SequencedMap<String, FloatTensor> tensors = new LinkedHashMap<>();
            for (SafetensorsTensor t : model.tensors()) {
                if (!t.dtype().isConvertible()) {
                    throw new IOException(path.getFileName() + ": tensor '" + t.name() + "' has dtype " + t.dtype()
                            + ", not a float type");
                }
                float[] values = new float[Math.toIntExact(t.elementCount())];
                t.dtype().widen(model.data(t), 0, values, 0, values.length);
                tensors.put(t.name(), new FloatTensor(t.shape(), values));
            }
            return tensors;
        }
    }

    /** The tensor named {@code name} of {@code tensors}; fails naming it when absent. */
    public static FloatTensor require(Map<String, FloatTensor> tensors, String name, String source) {
        FloatTensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(source + " has no tensor '" + name + "'");
        return t;
    }
}
