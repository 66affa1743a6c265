package io.quanthub.gguf.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The last step of most dequantizers, vectorized: sixteen small signed integers (levels, codebook values) widened to
 * floats and scaled. Each lane computes what the scalar {@code d * q} or {@code d * q - m} computes (Java rounds every
 * multiply and subtract on its own, never fusing them), so the results are bit-identical to the scalar loops, hence
 * to ggml's {@code dequantize_row_*}.
 */
final class ByteLanes {
    /** Sixteen bytes: one 32-value block's packed nibbles, or a 16-value sub-block's levels. */
    static final VectorSpecies<Byte> SIXTEEN = ByteVector.SPECIES_128;
    /** At most sixteen floats, so the bytes of one load fill whole float vectors. */
    private static final VectorSpecies<Float> FLOATS = LegacyBlockFormat.SPECIES;
    private static final int LANES = FLOATS.length();

    private ByteLanes() {
    }

    /** The 16 bytes at {@code off} of {@code src}, any alignment. */
    static ByteVector load(MemorySegment src, long off) {
        return ByteVector.fromMemorySegment(SIXTEEN, src, off, ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code dst[off + i] = d * q[i]} for the 16 lanes of q. */
    static void scale(ByteVector q, float d, float[] dst, int off) {
        for (int part = 0; part < 16 / LANES; part++) {
            FloatVector f = (FloatVector) q.convertShape(VectorOperators.B2F, FLOATS, part);
            f.mul(d).intoArray(dst, off + part * LANES);
        }
    }

    /** {@code dst[off + i] = d * q[i] + m} for the 16 lanes of q: a multiply, then an add. */
    static void scaleAdd(ByteVector q, float d, float m, float[] dst, int off) {
        for (int part = 0; part < 16 / LANES; part++) {
            FloatVector f = (FloatVector) q.convertShape(VectorOperators.B2F, FLOATS, part);
            f.mul(d).add(m).intoArray(dst, off + part * LANES);
        }
    }

    /** {@code dst[off + i] = d * q[i] - m} for the 16 lanes of q: a multiply, then a subtract. */
    static void scaleMinus(ByteVector q, float d, float m, float[] dst, int off) {
        for (int part = 0; part < 16 / LANES; part++) {
            FloatVector f = (FloatVector) q.convertShape(VectorOperators.B2F, FLOATS, part);
            f.mul(d).sub(m).intoArray(dst, off + part * LANES);
        }
    }
}
