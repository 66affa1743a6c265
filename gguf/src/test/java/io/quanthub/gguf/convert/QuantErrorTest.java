package io.quanthub.gguf.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.quant.Quants;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The converter's optional error measurement: same bytes, and the numbers of a from-scratch computation. */
class QuantErrorTest {
    private static final Path FLUX_TINY = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "flux-tiny", "model.safetensors");

    @TempDir
    Path dir;

    @Test
    void measuringTheErrorKeepsTheBytesAndMatchesAnIndependentComputation() throws Exception {
        Path plain = dir.resolve("plain.gguf");
        Path measured = dir.resolve("measured.gguf");
        ConversionSummary without = new Converter(2, false).convert(FLUX_TINY, QuantLevel.Q4_K_S, plain,
                Converter.ProgressListener.NONE);
        ConversionSummary with = new Converter(2, false).measuringError().convert(FLUX_TINY, QuantLevel.Q4_K_S,
                measured, Converter.ProgressListener.NONE);

        assertNull(without.error());
        assertArrayEquals(Files.readAllBytes(plain), Files.readAllBytes(measured));
        double ss = 0, ee = 0, dot = 0, qq = 0;
        long elements = 0;
        try (ModelSource source = ModelSource.open(FLUX_TINY); GgufFile out = GgufFile.open(measured)) {
            for (TensorPlan t : ConversionPlan.of(source, QuantLevel.Q4_K_S).tensors()) {
                int n = Math.toIntExact(t.elementCount());
                float[] s = new float[n];
                t.source().readFloats(0, s, 0, n);
                TensorInfo info = out.tensor(t.name());
                float[] q = new float[n];
                Quants.of(info.type()).dequantize(out.data(info).toArray(ValueLayout.JAVA_BYTE), 0, q, 0, n);
                for (int i = 0; i < n; i++) {
                    ss += (double) s[i] * s[i];
                    ee += ((double) q[i] - s[i]) * ((double) q[i] - s[i]);
                    dot += (double) q[i] * s[i];
                    qq += (double) q[i] * q[i];
                }
                elements += n;
            }
        }
        QuantError error = with.error();
        assertEquals(elements, error.elements());
        assertEquals(Math.sqrt(ee / ss), error.relativeRmse(), 1e-9);
        assertEquals(dot / Math.sqrt(ss * qq), error.cosine(), 1e-9);
        assertTrue(error.relativeRmse() > 0.001 && error.relativeRmse() < 0.5, "Q4_K_S loses a little: " + error);
    }

    @Test
    void zerosStayExactAndSumsAddUp() {
        float[] zeros = new float[8];
        QuantError none = QuantError.of(zeros, zeros, 8);
        assertEquals(0, none.relativeRmse());
        assertEquals(1, none.cosine());
        QuantError a = QuantError.of(new float[] {1, 2}, new float[] {1, 1}, 2);
        QuantError b = QuantError.of(new float[] {3}, new float[] {4}, 1);
        assertEquals(QuantError.of(new float[] {1, 2, 3}, new float[] {1, 1, 4}, 3), a.plus(b));
        assertEquals(Math.sqrt(2.0 / 14), a.plus(b).relativeRmse(), 1e-15);
    }
}
