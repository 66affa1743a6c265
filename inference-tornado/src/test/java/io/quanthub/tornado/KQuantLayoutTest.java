package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import static io.quanthub.tornado.KQuantBlocks.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The K-quant kernels' constant field offsets are gguf's block layouts (BlockLayout is the one statement of them). */
class KQuantLayoutTest {
    @Test
    void offsetsMatchTheBlockLayouts() {
        assertOffsets(GgmlType.Q2_K, "scales", Q2K_SCALES, "qs", Q2K_QS, "d", Q2K_D, "dmin", Q2K_DMIN);
        assertOffsets(GgmlType.Q3_K, "hmask", Q3K_HMASK, "qs", Q3K_QS, "scales", Q3K_SCALES, "d", Q3K_D);
        assertOffsets(GgmlType.Q4_K, "d", K4_D, "dmin", K4_DMIN, "scales", K4_SCALES, "qs", Q4K_QS);
        assertOffsets(GgmlType.Q5_K, "d", K4_D, "dmin", K4_DMIN, "scales", K4_SCALES, "qh", Q5K_QH, "qs", Q5K_QS);
        assertOffsets(GgmlType.Q6_K, "ql", Q6K_QL, "qh", Q6K_QH, "scales", Q6K_SCALES, "d", Q6K_D);
        assertOffsets(GgmlType.IQ4_XS, "d", IQ4XS_D, "scales_h", IQ4XS_SCALES_H, "scales_l", IQ4XS_SCALES_L, "qs",
                IQ4XS_QS);
    }

    @Test
    void superBlockSizes() {
        for (GgmlType type : new GgmlType[] {GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
                GgmlType.IQ4_XS}) {
            assertEquals(QK_K, type.blockSize, type.toString());
        }
        assertEquals(GgmlType.Q2_K.typeSize, Q2K_BYTES);
        assertEquals(GgmlType.Q3_K.typeSize, Q3K_BYTES);
        assertEquals(GgmlType.Q4_K.typeSize, Q4K_BYTES);
        assertEquals(GgmlType.Q5_K.typeSize, Q5K_BYTES);
        assertEquals(GgmlType.Q6_K.typeSize, Q6K_BYTES);
        assertEquals(GgmlType.IQ4_XS.typeSize, IQ4XS_BYTES);
    }

    private static void assertOffsets(GgmlType type, Object... nameOffset) {
        for (int i = 0; i < nameOffset.length; i += 2) {
            assertEquals(type.layout.offset((String) nameOffset[i]), (int) nameOffset[i + 1], type + " " + nameOffset[i]);
        }
    }
}
