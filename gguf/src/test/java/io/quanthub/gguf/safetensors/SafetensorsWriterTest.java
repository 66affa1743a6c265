package io.quanthub.gguf.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What SafetensorsWriter writes, SafetensorsModel reads back. */
class SafetensorsWriterTest {
    @Test
    void roundTripsF32Tensors(@TempDir Path dir) throws Exception {
        float[] a = {1f, -2.5f, 3e-7f, Float.MAX_VALUE, 0f, -0f};
        float[] b = {42f};
        Path file = new SafetensorsWriter().addF32("a", new long[] {2, 3}, a).addF32("b", new long[] {1}, b)
                .write(dir.resolve("t.safetensors"));
        try (SafetensorsModel model = SafetensorsModel.open(file)) {
            SafetensorsTensor ta = model.tensors().get(0);
            SafetensorsTensor tb = model.tensors().get(1);
            assertArrayEquals(new long[] {2, 3}, ta.shape());
            float[] readA = new float[6];
            float[] readB = new float[1];
            ta.dtype().widen(model.data(ta), 0, readA, 0, 6);
            tb.dtype().widen(model.data(tb), 0, readB, 0, 1);
            assertArrayEquals(a, readA);
            assertArrayEquals(b, readB);
        }
    }

    @Test
    void rejectsShapeMismatchAndDuplicates() {
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter().addF32("a", new long[] {2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter().addF32("a", new long[] {1}, new float[1])
                .addF32("a", new long[] {1}, new float[1]));
    }
}
