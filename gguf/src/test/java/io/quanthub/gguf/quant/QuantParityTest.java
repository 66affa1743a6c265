package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.reference.GgmlLibrary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every type QuantHub writes, compared with ggml itself (libggml-base.so through FFM) on varied data: the bytes of
 * ggml_quantize_chunk with and without an importance matrix, and the float bits of dequantize_row_*.
 */
class QuantParityTest {
    /** The types issue #2 requires; each must be registered in {@link Quants}. */
    static final List<GgmlType> REQUIRED = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    private static GgmlLibrary ggml;

    @BeforeAll
    static void loadGgml() {
        ggml = GgmlLibrary.load();
    }

    @Test
    void everyRequiredTypeIsSupported() {
        assertEquals(REQUIRED, REQUIRED.stream().filter(Quants::supports).toList());
    }

    @TestFactory
    Stream<DynamicTest> quantizeAndDequantizeLikeGgml() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GgmlType type : Quants.supported()) {
            for (QuantTestData.Case c : QuantTestData.cases(type.blockSize)) {
                tests.add(DynamicTest.dynamicTest(type + " " + c, () -> check(type, c, null)));
                if (type.isQuantized()) {
                    float[] imatrix = QuantTestData.imatrix(c.nPerRow(), c.nPerRow() * 31L + c.name().hashCode());
                    tests.add(DynamicTest.dynamicTest(type + " imatrix " + c, () -> check(type, c, imatrix)));
                }
            }
        }
        return tests.stream();
    }

    static void check(GgmlType type, QuantTestData.Case c, float[] imatrix) {
        QuantFormat format = Quants.of(type);
        byte[] expected = ggml.quantize(type, c.values(), c.nRows(), c.nPerRow(), imatrix);
        byte[] actual = new byte[expected.length];
        format.quantize(c.values(), 0, actual, 0, c.nRows(), c.nPerRow(), imatrix);
        assertBytesEqual(type, expected, actual);

        int n = c.values().length;
        float[] expectedFloats = ggml.dequantize(type, expected, n);
        float[] actualFloats = new float[n];
        format.dequantize(expected, 0, actualFloats, 0, n);
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(expectedFloats[i]) != Float.floatToRawIntBits(actualFloats[i])) {
                fail(type + " dequantize differs at element " + i + ": ggml " + expectedFloats[i] + " ours "
                        + actualFloats[i]);
            }
        }
    }

    static void assertBytesEqual(GgmlType type, byte[] expected, byte[] actual) {
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                int block = i / type.typeSize;
                int from = block * type.typeSize;
                HexFormat hex = HexFormat.ofDelimiter(" ");
                fail(type + " bytes differ first at byte " + i + " (block " + block + ", offset " + (i - from) + ")\n"
                        + " ggml: " + hex.formatHex(expected, from, from + type.typeSize) + "\n"
                        + " ours: " + hex.formatHex(actual, from, from + type.typeSize));
            }
        }
    }
}
