package io.quanthub.gguf.convert;

import java.io.Serializable;

/**
 * The sums that measure how far quantized values q are from their source values s: Σs², Σ(q−s)², Σq·s and Σq²
 * over {@code elements} values. Sums of disjoint pieces add up exactly to the sums of the whole, so pieces measured
 * anywhere (in any process) combine into a tensor's or a model's numbers; the ratios are computed only at the end.
 */
public record QuantError(long elements, double sourceSquares, double errorSquares, double dot, double outputSquares)
        implements Serializable {
    public static final QuantError NONE = new QuantError(0, 0, 0, 0, 0);

    /** The sums over {@code source[0..n)} against {@code output[0..n)}. */
    public static QuantError of(float[] source, float[] output, int n) {
        double ss = 0, ee = 0, dot = 0, qq = 0;
        for (int i = 0; i < n; i++) {
            double s = source[i];
            double q = output[i];
            double e = q - s;
            ss += s * s;
            ee += e * e;
            dot += q * s;
            qq += q * q;
        }
        return new QuantError(n, ss, ee, dot, qq);
    }

    public QuantError plus(QuantError other) {
        return new QuantError(elements + other.elements, sourceSquares + other.sourceSquares,
                errorSquares + other.errorSquares, dot + other.dot, outputSquares + other.outputSquares);
    }

    /** ||q − s|| / ||s||; 0 when there is no error at all (also for all-zero tensors). */
    public double relativeRmse() {
        return errorSquares == 0 ? 0 : Math.sqrt(errorSquares / sourceSquares);
    }

    /** &lt;q, s&gt; / (||q|| ||s||); 1 when both are all zeros. */
    public double cosine() {
        if (sourceSquares == 0 && outputSquares == 0) return 1;
        return dot / Math.sqrt(sourceSquares * outputSquares);
    }
}
