package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * IQ4_NL and IQ4_XS (spec §7): 4-bit indices into a fixed non-linear codebook, chosen per 32-value block by a scale
 * search ({@code quantize_row_iq4_nl_impl} with {@code ntry = 7}, the path llama-quantize uses with and without an
 * importance matrix).
 * <ul>
 *   <li>IQ4_NL, one 32-value block: d, qs.</li>
 *   <li>IQ4_XS, a 256-value super-block of 8 blocks whose scales are 6-bit multiples of one fp16 scale:
 *       d, scales_h (u16, 2 high bits per block), scales_l (4 low bits per block), qs.</li>
 * </ul>
 * The field offsets come from {@link GgmlType#layout}.
 */
final class IQ4Format implements QuantFormat {
    /** {@code kvalues_iq4nl}: the codebook, ascending. */
    private static final byte[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final float[] CODEBOOK = new float[16];
    /** The codebook as one 16-byte vector: dequantizing looks up 16 nibbles at once ({@code pshufb} on x86). */
    private static final ByteVector CODEBOOK_LANES = ByteVector.fromArray(ByteLanes.SIXTEEN, KVALUES, 0);

    static {
        for (int i = 0; i < 16; i++) CODEBOOK[i] = KVALUES[i];
    }

    /** Scale candidates tried on each side of the first guess. */
    private static final int NTRY = 7;
    private static final int QK = 32;

    private final GgmlType type;
    /** Values per super-block: 32 for IQ4_NL, 256 for IQ4_XS. */
    private final int superBlock;
    /** Offsets of d and qs within a super-block. */
    private final int dOffset;
    private final int qsOffset;
    /** IQ4_XS's block scales: 2 high bits each in the u16 scales_h, 4 low bits each in scales_l. */
    private static final int SCALES_H = GgmlType.IQ4_XS.layout.offset("scales_h");
    private static final int SCALES_L = GgmlType.IQ4_XS.layout.offset("scales_l");

    private IQ4Format(GgmlType type) {
        this.type = type;
        this.superBlock = type.blockSize;
        this.dOffset = type.layout.offset("d");
        this.qsOffset = type.layout.offset("qs");
    }

    static IQ4Format nl() {
        return new IQ4Format(GgmlType.IQ4_NL);
    }

    static IQ4Format xs() {
        return new IQ4Format(GgmlType.IQ4_XS);
    }

    @Override
    public GgmlType type() {
        return type;
    }

    @Override
    public void quantize(float[] src, int srcOff, byte[] dst, int dstOff, int nRows, int nPerRow, float[] imatrix) {
        QuantArgs.checkQuantize(type, src, srcOff, dst, dstOff, nRows, nPerRow, imatrix);
        byte[] levels = new byte[superBlock];
        float[] weights = new float[QK];
        float[] scales = new float[superBlock / QK];
        int total = nRows * nPerRow;
        for (int i = 0, y = dstOff; i < total; i += superBlock, y += type.typeSize) {
            int qwOff = i % nPerRow; // the importance matrix is indexed by position within the row
            quantizeSuperBlock(src, srcOff + i, imatrix, qwOff, dst, y, levels, weights, scales);
        }
    }

    /** {@code quantize_row_iq4_nl_impl(superBlock, 32, ..., ntry = 7)}. */
    private void quantizeSuperBlock(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff,
                                    byte[] levels, float[] weights, float[] scales) {
        float sigma2 = ImportanceWeights.sumOfSquares(x, xOff, superBlock) * (2.0f / superBlock);
        int nb = superBlock / QK;
        float maxScale = 0;
        float amaxScale = 0;
        for (int ib = 0; ib < nb; ib++) {
            int xb = xOff + ib * QK;
            if (qw != null) {
                ImportanceWeights.weigh(qw, qwOff + ib * QK, sigma2, x, xb, weights, QK);
            } else {
                for (int j = 0; j < QK; j++) weights[j] = x[xb + j] * x[xb + j];
            }
            float max = LegacyBlockFormat.firstAbsMax(x, xb);
            if (Math.abs(max) < Solvers.GROUP_MAX_EPS) { // an all-zero block: scale 0, levels chosen later
                scales[ib] = 0;
                continue;
            }
            float d = scaleSearch(x, xb, weights, max);
            scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = d;
            }
        }

        if (nb > 1) {
            // IQ4_XS: one fp16 super-scale, per-block 6-bit multipliers of the unrounded super-scale.
            float d = -maxScale / 32;
            LittleEndian.putFp16(y, yOff + dOffset, d);
            float id = d != 0 ? 1 / d : 0.0f;
            int scalesH = 0;
            for (int ib = 0; ib < nb; ib++) {
                int l = Math.max(-32, Math.min(31, Numerics.nearestInt(id * scales[ib])));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.0f;
                chooseIndices(x, xOff + ib * QK, idl, levels, ib * QK, QK);
                l += 32;
                int scalesL = yOff + SCALES_L + ib / 2;
                if (ib % 2 == 0) y[scalesL] = (byte) (l & 0xF);
                else y[scalesL] |= (byte) ((l & 0xF) << 4);
                scalesH |= (l >> 4) << (2 * ib);
            }
            LittleEndian.putShort(y, yOff + SCALES_H, (short) scalesH);
        } else {
            // IQ4_NL: the block scale itself, then indices re-chosen against it.
            float d = scales[0];
            LittleEndian.putFp16(y, yOff + dOffset, d);
            chooseIndices(x, xOff, d != 0 ? 1 / d : 0, levels, 0, QK);
        }
        for (int ib = 0; ib < nb; ib++) {
            LegacyBlockFormat.packNibbles(levels, ib * QK, y, yOff + qsOffset + ib * QK / 2);
        }
    }

    /**
     * The scale of one block: a weighted least-squares fit for the indices chosen at {@code -max/K0}, then the best
     * fit over the 2*NTRY+1 inverse scales {@code (t + K0)/max}.
     */
    private static float scaleSearch(float[] x, int xb, float[] w, float max) {
        float d = -max / CODEBOOK[0];
        float id = 1 / d;
        float sumqx = 0;
        float sumq2 = 0;
        for (int j = 0; j < QK; j++) {
            float q = CODEBOOK[bestIndex(id * x[xb + j])];
            sumqx += w[j] * q * x[xb + j];
            sumq2 += w[j] * q * q;
        }
        d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
        float best = d * sumqx;
        for (int itry = -NTRY; itry <= NTRY; itry++) {
            id = (itry + CODEBOOK[0]) / max;
            sumqx = 0;
            sumq2 = 0;
            for (int j = 0; j < QK; j++) {
                float q = CODEBOOK[bestIndex(id * x[xb + j])];
                sumqx += w[j] * q * x[xb + j];
                sumq2 += w[j] * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        return d;
    }

    private static void chooseIndices(float[] x, int xOff, float id, byte[] levels, int lOff, int n) {
        for (int j = 0; j < n; j++) levels[lOff + j] = (byte) bestIndex(id * x[xOff + j]);
    }

    /**
     * {@code best_index_int8}: the codebook index nearest to {@code v}; ties go to the upper index, NaN gives 15.
     */
    static int bestIndex(float v) {
        if (v <= CODEBOOK[0]) return 0;
        if (v >= CODEBOOK[15]) return 15;
        int lo = 0;
        int hi = 15;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (v < CODEBOOK[mid]) hi = mid;
            else lo = mid;
        }
        return v - CODEBOOK[hi - 1] < CODEBOOK[hi] - v ? hi - 1 : hi;
    }

    @Override
    public final void dequantize(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        QuantArgs.checkDequantize(type, src, srcOff, dst, dstOff, n);
        int nb = superBlock / QK;
        for (int i = 0; i < n; i += superBlock, srcOff += type.typeSize) {
            float d = LittleEndian.getFp16(src, srcOff + dOffset);
            int scalesH = nb > 1 ? LittleEndian.getShort(src, srcOff + SCALES_H) & 0xFFFF : 0;
            for (int ib = 0; ib < nb; ib++) {
                float dl = d;
                if (nb > 1) {
                    int low = (src.get(JAVA_BYTE, srcOff + SCALES_L + ib / 2) >> (4 * (ib % 2))) & 0xF;
                    int ls = low | (((scalesH >> (2 * ib)) & 3) << 4);
                    dl = d * (ls - 32);
                }
                // dst[j] = dl * CODEBOOK[q[j] & 0xF], dst[16 + j] = dl * CODEBOOK[q[j] >> 4], 16 lanes at a time.
                ByteVector q = ByteLanes.load(src, srcOff + qsOffset + QK / 2 * ib);
                ByteVector lo = q.and((byte) 0xF).selectFrom(CODEBOOK_LANES);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).selectFrom(CODEBOOK_LANES);
                int out = dstOff + i + QK * ib;
                ByteLanes.scale(lo, dl, dst, out);
                ByteLanes.scale(hi, dl, dst, out + QK / 2);
            }
        }
    }
}
