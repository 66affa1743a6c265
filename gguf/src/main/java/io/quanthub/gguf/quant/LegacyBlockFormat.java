package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * What ggml's 32-value block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) share: the row loop of {@code quantize_q*} with its
 * importance-matrix weighting (spec §6.6), and the 4-bit/5-bit packing (spec §4).
 *
 * <p>Each subclass supplies a tight reference loop over many blocks ({@code quantize_row_*_ref}), the weighted
 * quantizer of one block, and a dequantizer loop. The reference and dequantize loops run over all blocks of a call
 * in one subclass method so the JIT compiles them as one monomorphic loop.
 */
abstract class LegacyBlockFormat implements QuantFormat {
    /** Values per block. */
    static final int QK = 32;

    /**
     * The reference loops handle value j and value j+16 (the two nibbles of one byte) in the same lane, so a vector
     * holds at most 16 floats.
     */
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED.length() > QK / 2
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    private static final VectorSpecies<Integer> INT_SPECIES = SPECIES.withLanes(int.class);

    private final GgmlType type;

    LegacyBlockFormat(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    /** {@code quantize_row_*_ref} over {@code nBlocks} consecutive blocks. */
    abstract void quantizeRef(float[] x, int xOff, byte[] y, int yOff, int nBlocks);

    /**
     * The importance-weighted quantizer of one block ({@code quantize_row_*_impl} with weights): {@code w} holds the
     * block's 32 weights; {@code s} is scratch owned by the calling quantize.
     */
    abstract void quantizeWeighted(float[] x, int xOff, float[] w, byte[] y, int yOff, Scratch s);

    /** {@code dequantize_row_*} over {@code nBlocks} consecutive blocks, read where they are. */
    abstract void dequantizeBlocks(MemorySegment src, long srcOff, float[] dst, int dstOff, int nBlocks);

    /** For {@link #fifthBits}: lanes 0-7 take byte 0 (or 2) of qh, lanes 8-15 byte 1 (or 3). */
    private static final VectorShuffle<Byte> QH_LOW_HALF =
            VectorShuffle.fromValues(ByteLanes.SIXTEEN, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    private static final VectorShuffle<Byte> QH_HIGH_HALF =
            VectorShuffle.fromValues(ByteLanes.SIXTEEN, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    /** Lane j looks at bit j % 8 of its byte. */
    private static final ByteVector BIT_OF_LANE =
            ByteVector.fromArray(ByteLanes.SIXTEEN, new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7}, 0);

    /**
     * The fifth bits of Q5_0/Q5_1 as 16 lanes of 0 or 16: bits 0-15 of the 32-bit qh field ({@code half} 0, the low
     * nibbles' values) or bits 16-31 ({@code half} 1). {@code qh} holds the field's 4 bytes in lanes 0-3.
     */
    static ByteVector fifthBits(ByteVector qh, int half) {
        return qh.rearrange(half == 0 ? QH_LOW_HALF : QH_HIGH_HALF).lanewise(VectorOperators.LSHR, BIT_OF_LANE)
                .and((byte) 1).lanewise(VectorOperators.LSHL, 4);
    }

    /** Per-call working memory of the weighted quantizers, allocated once per quantize call. */
    static final class Scratch {
        final float[] weights = new float[QK];
        final byte[] levels = new byte[QK];
        final Solvers.Workspace solver = new Solvers.Workspace();
    }

    @Override
    public void quantize(float[] src, int srcOff, byte[] dst, int dstOff, int nRows, int nPerRow, float[] imatrix) {
        QuantArgs.checkQuantize(type, src, srcOff, dst, dstOff, nRows, nPerRow, imatrix);
        int blocksPerRow = nPerRow / QK;
        if (imatrix == null) {
            quantizeRef(src, srcOff, dst, dstOff, nRows * blocksPerRow);
            return;
        }
        Scratch s = new Scratch();
        for (int row = 0; row < nRows; row++) {
            int x = srcOff + row * nPerRow;
            int y = dstOff + row * blocksPerRow * type.typeSize;
            // sigma2 is the mean square of the whole row, not of the block.
            float sigma2 = ImportanceWeights.sumOfSquares(src, x, nPerRow) / nPerRow;
            for (int ib = 0; ib < blocksPerRow; ib++) {
                ImportanceWeights.weigh(imatrix, ib * QK, sigma2, src, x + ib * QK, s.weights, QK);
                quantizeWeighted(src, x + ib * QK, s.weights, dst, y + ib * type.typeSize, s);
            }
        }
    }

    @Override
    public final void dequantize(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        QuantArgs.checkDequantize(type, src, srcOff, dst, dstOff, n);
        dequantizeBlocks(src, srcOff, dst, dstOff, n / QK);
    }

    /**
     * The signed value of largest magnitude in a 32-value block, as ggml's scan
     * {@code if (amax < fabsf(v)) { amax = fabsf(v); max = v; }} from {@code amax = max = 0} finds it: the first of
     * equal magnitudes wins, NaNs are never taken, and a block of (signed) zeros gives +0.0.
     *
     * <p>Written without data-dependent branches: for non-NaN floats the magnitude bits order like the magnitudes,
     * so the largest {@code |bits| << 5 | (31 - j)} names the largest magnitude and, among equal ones, the lowest j.
     */
    static float firstAbsMax(float[] x, int off) {
        long key = 0;
        for (int j = 0; j < QK; j++) {
            long magnitude = Float.floatToRawIntBits(x[off + j]) & 0x7FFFFFFF;
            key = Math.max(key, magnitude << 5 | (QK - 1 - j));
        }
        long magnitude = key >>> 5;
        if (magnitude == 0) return 0.0f;
        if (magnitude <= 0x7F800000) return x[off + QK - 1 - (int) (key & (QK - 1))];
        // A NaN has the largest bits but ggml's comparison skips it: scan as ggml does.
        float amax = 0.0f;
        float max = 0.0f;
        for (int j = 0; j < QK; j++) {
            float v = x[off + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /**
     * The minimum and maximum of a 32-value block into {@code out[0]} and {@code out[1]}, as ggml's scan
     * {@code if (v < min) min = v; if (v > max) max = v;} from {@code min = FLT_MAX, max = -FLT_MAX} finds them:
     * NaNs are never taken, and of equal values the first stays, which matters only for +0.0 against -0.0.
     *
     * <p>Written without data-dependent branches on sortable keys (the bits, with the magnitude bits of negative
     * values flipped, order like the floats and put -0.0 below +0.0). Blocks where NaNs are present or where an
     * extreme is a zero, whose sign then depends on order, are scanned as ggml does.
     */
    static void minMax(float[] x, int off, float[] out) {
        // The keys lane by lane, then the smallest and largest of them: integer min and max give the same answer in
        // any order.
        IntVector minKeys = IntVector.broadcast(INT_SPECIES, sortableKey(Float.MAX_VALUE));
        IntVector maxKeys = IntVector.broadcast(INT_SPECIES, sortableKey(-Float.MAX_VALUE));
        for (int c = 0; c < QK; c += LANES) {
            IntVector bits = FloatVector.fromArray(SPECIES, x, off + c).reinterpretAsInts();
            IntVector keys = bits.lanewise(VectorOperators.ASHR, 31).and(0x7FFFFFFF)
                    .lanewise(VectorOperators.XOR, bits); // sortableKey
            minKeys = minKeys.min(keys);
            maxKeys = maxKeys.max(keys);
        }
        float min = fromSortableKey(minKeys.reduceLanes(VectorOperators.MIN));
        float max = fromSortableKey(maxKeys.reduceLanes(VectorOperators.MAX));
        if (min >= Float.NEGATIVE_INFINITY && max <= Float.POSITIVE_INFINITY && min != 0 && max != 0) {
            out[0] = min;
            out[1] = max;
            return;
        }
        min = Float.MAX_VALUE;
        max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            float v = x[off + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        out[0] = min;
        out[1] = max;
    }

    private static int sortableKey(float v) {
        int bits = Float.floatToRawIntBits(v);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    private static float fromSortableKey(int key) {
        return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7FFFFFFF));
    }

    /**
     * {@code (int)((x - min)*id + 0.5f)} for the LANES values {@code x[off..]}, each lane C's float expression and
     * Java's cast. The callers use it where the sum is NaN or in [0.5, 31.5], where Java's cast and x86's agree once
     * narrowed to a byte (see Q4_0Format).
     */
    static IntVector truncatedLevels(float[] x, int off, float min, float id) {
        FloatVector v = FloatVector.fromArray(SPECIES, x, off).sub(min).mul(id).add(0.5f);
        return (IntVector) v.convert(VectorOperators.F2I, 0);
    }

    /**
     * Packs the 32 4-bit levels at {@code levels[lOff..]}: element j (0..15) in the low nibble of {@code qs[j]}, element j+16 in its high nibble.
     * Like ggml's {@code L[j] | (L[j+16] << 4)} stored to a byte, so out-of-range levels keep C's low bits.
     */
    static void packNibbles(byte[] levels, int lOff, byte[] y, int qsOff) {
        for (int j = 0; j < QK / 2; j++) {
            y[qsOff + j] = (byte) ((levels[lOff + j] & 0xFF) | (levels[lOff + j + QK / 2] << 4));
        }
    }

    /**
     * Packs 32 5-bit levels: the low 4 bits as {@link #packNibbles}, bit 4 of element j as bit j of the little-endian
     * u32 {@code qh}.
     */
    static void packFiveBits(byte[] levels, byte[] y, int qhOff, int qsOff) {
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            int lo = levels[j];
            int hi = levels[j + QK / 2];
            y[qsOff + j] = (byte) ((lo & 0x0F) | ((hi & 0x0F) << 4));
            qh |= ((lo & 0x10) >>> 4) << j;
            qh |= ((hi & 0x10) >>> 4) << (j + QK / 2);
        }
        LittleEndian.putInt(y, qhOff, qh);
    }
}
