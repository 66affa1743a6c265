package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Inputs {@link QuantParityTest}'s data does not reach, compared with ggml the same way: importance matrices that are
 * zero over whole blocks (the weighted fits then see no weight at all), rows with infinities and NaNs, and blocks so
 * small (subnormal) that the reciprocal of their scale overflows to infinity.
 */
class LegacyEdgeCaseTest {
    private static final List<GgmlType> TYPES = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    @BeforeAll
    static void loadGgml() {
        QuantParityTest.loadGgml();
    }

    @TestFactory
    Stream<DynamicTest> edgeCasesMatchGgml() {
        List<DynamicTest> tests = new ArrayList<>();
        int n = 512;
        SplittableRandom r = new SplittableRandom(11);
        float[] gaussian = QuantTestData.gaussian(r, 2 * n, 1f);
        float[] zeroFirstBlocks = QuantTestData.imatrix(n, 5);
        for (int i = 0; i < 256; i++) zeroFirstBlocks[i] = 0;
        float[] specials = QuantTestData.gaussian(r, 2 * n, 1f);
        float[] values = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -Float.NaN, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.MIN_VALUE, 70000f, -65520f};
        for (int i = 0; i < values.length; i++) specials[i * 97 + 3] = values[i];
        float[] tiny = QuantTestData.gaussian(r, 2 * n, 1e-39f);
        for (int i = n; i < 2 * n; i++) tiny[i] *= 1e-3f;
        for (GgmlType type : TYPES) {
            QuantTestData.Case weighted = new QuantTestData.Case("gaussian", gaussian, 2, n);
            QuantTestData.Case special = new QuantTestData.Case("inf-nan", specials, 2, n);
            if (type.isQuantized()) {
                tests.add(DynamicTest.dynamicTest(type + " zero imatrix blocks",
                        () -> QuantParityTest.check(type, weighted, zeroFirstBlocks)));
            }
            QuantTestData.Case subnormal = new QuantTestData.Case("subnormal", tiny, 2, n);
            tests.add(DynamicTest.dynamicTest(type + " inf and NaN", () -> QuantParityTest.check(type, special, null)));
            tests.add(DynamicTest.dynamicTest(type + " subnormal", () -> QuantParityTest.check(type, subnormal, null)));
            if (type.isQuantized()) {
                tests.add(DynamicTest.dynamicTest(type + " subnormal imatrix",
                        () -> QuantParityTest.check(type, subnormal, zeroFirstBlocks)));
            }
        }
        return tests.stream();
    }
}
