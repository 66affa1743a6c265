package io.quanthub.storage;

import java.util.List;
import java.util.Objects;

/**
 * How close a variant's dequantized weights are to its source weights, measured by the converter while it
 * quantized them. The stored rows keep the raw sums, so anyone can recombine them (for a subset of tensors, say)
 * exactly; ratios are never averaged.
 *
 * <p>With s the source values (as F32) and q the output values dequantized to F32:
 * relative RMSE = ||q - s|| / ||s|| and cosine similarity = &lt;q, s&gt; / (||q|| ||s||). Whole-model numbers use
 * the sums over every tensor. A tensor of zeros that stays zeros has RMSE 0 and cosine 1.
 *
 * @param relativeRmse  whole model
 * @param cosine        whole model
 * @param bitsPerWeight average bits per weight of the quantizable tensors (as {@link Variant#bitsPerWeight()})
 * @param sizeBytes     bytes of the GGUF output
 * @param elements      weights compared (every tensor of the output)
 * @param tensors       one row per output tensor, in file order
 */
public record VariantQuality(double relativeRmse, double cosine, double bitsPerWeight, long sizeBytes, long elements,
                             List<TensorQuality> tensors) {
    /**
     * One tensor's numbers and the sums they come from.
     *
     * @param type          the tensor's type in the output (e.g. Q4_K, F32)
     * @param sourceSquares sum of s²
     * @param errorSquares  sum of (q - s)²
     * @param dot           sum of q·s
     * @param outputSquares sum of q²
     */
    public record TensorQuality(String name, String type, long elements, double relativeRmse, double cosine,
                                double sourceSquares, double errorSquares, double dot, double outputSquares) {
        public TensorQuality {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
        }
    }

    public VariantQuality {
        tensors = List.copyOf(tensors);
    }
}
