package io.quanthub.inference.pipeline;

import io.quanthub.inference.model.FloatTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The prompt, already encoded: T5 hidden states and the pooled CLIP vector (text encoders are not run here).
 *
 * @param txt       [txtTokens x contextDim] T5 encoder output
 * @param txtTokens rows of {@code txt}
 * @param y         [vecDim] CLIP pooled output
 */
public record Conditioning(float[] txt, int txtTokens, float[] y) {
    public Conditioning {
        if (txtTokens < 1 || txt.length % txtTokens != 0) {
            throw new IllegalArgumentException("txt of " + txt.length + " values is not " + txtTokens + " rows");
        }
    }

    /** Width of a {@code txt} row. */
    public int contextDim() {
        return txt.length / txtTokens;
    }

    /** Reads tensors {@code txt} [1, tokens, context] (or [tokens, context]) and {@code y} [1, vec] (or [vec]). */
    public static Conditioning readSafetensors(Path path) throws IOException {
        return of(FloatTensor.readSafetensors(path), path.getFileName().toString());
    }

    /** {@code txt} and {@code y} out of a set of tensors read from {@code source} (named in errors). */
    public static Conditioning of(Map<String, FloatTensor> tensors, String source) {
        FloatTensor txt = FloatTensor.require(tensors, "txt", source);
        FloatTensor y = FloatTensor.require(tensors, "y", source);
        long[] shape = txt.shape();
        boolean batched = shape.length == 3 && shape[0] == 1;
        if (!batched && shape.length != 2) {
            throw new IllegalArgumentException(source + ": txt must be [1, tokens, channels] or [tokens, channels]");
        }
        long[] yShape = y.shape();
        if (yShape.length > 2 || yShape.length == 2 && yShape[0] != 1) {
            throw new IllegalArgumentException(source + ": y must be [1, channels] or [channels]");
        }
        requireFinite(txt, "txt", source);
        requireFinite(y, "y", source);
        return new Conditioning(txt.values(), (int) shape[shape.length - 2], y.values());
    }

    /** A NaN or infinity would turn every pixel NaN (a black image that looks rendered): name it instead. */
    private static void requireFinite(FloatTensor tensor, String name, String source) {
        float[] values = tensor.values();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(source + ": tensor '" + name + "' holds " + values[i]
                        + " at element " + i + "; conditioning must be finite");
            }
        }
    }
}
