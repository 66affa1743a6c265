package io.quanthub.gguf.safetensors;

import io.quanthub.gguf.quant.Numerics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    private int files;

    private static byte[] le(int bytesPerValue, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * bytesPerValue).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (bytesPerValue) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    private static float[] widen(Dtype dtype, byte[] bytes) {
        float[] out = new float[bytes.length / dtype.bytes];
        dtype.widen(MemorySegment.ofArray(bytes), 0, out, 0, out.length);
        return out;
    }

    @Test
    void everyDtypeIsReadAndFloatTypesWidenExactly() throws IOException {
        float[] f32 = {1.5f, -0.0f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NEGATIVE_INFINITY, 3e-39f};
        ByteBuffer f32Bytes = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : f32) f32Bytes.putFloat(f);
        byte[] f16 = le(2, 0x3C00, 0xC000, 0x0001, 0x7BFF, 0xFC00, 0x8000);
        byte[] bf16 = le(2, 0x3F80, 0xC040, 0x0001, 0x7F7F, 0xFF80, 0x8000);
        byte[] e4m3 = le(1, 0x38, 0xB8, 0x01, 0x7E, 0x7F, 0x80);
        byte[] e5m2 = le(1, 0x3C, 0xBC, 0x01, 0x7B, 0x7C, 0x7F);
        SafetensorsTestFiles builder = new SafetensorsTestFiles()
                .metadata(Map.of("format", "pt", "note", "äöü"))
                .tensor("f32", "F32", new long[] {2, 3}, f32Bytes.array())
                .tensor("f16", "F16", new long[] {6}, f16)
                .tensor("bf16", "BF16", new long[] {3, 2}, bf16)
                .tensor("e4m3", "F8_E4M3", new long[] {1, 6}, e4m3)
                .tensor("e5m2", "F8_E5M2", new long[] {6}, e5m2)
                .tensor("f64", "F64", new long[] {1}, le(8, Double.doubleToLongBits(0.5)))
                .tensor("i64", "I64", new long[] {2}, le(8, 1, 2))
                .tensor("i32", "I32", new long[] {1}, le(4, 7))
                .tensor("u8", "U8", new long[] {3}, le(1, 1, 2, 3))
                .tensor("bool", "BOOL", new long[] {1}, le(1, 1))
                .tensor("scalar", "F32", new long[] {}, le(4, Float.floatToIntBits(2f)))
                .tensor("empty", "F16", new long[] {0, 4}, new byte[0]);
        Path file = builder.write(dir.resolve("all.safetensors"));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt", "note", "äöü"), st.metadata());
            assertEquals(12, st.tensors().size());
            assertEquals("f32", st.tensors().getFirst().name()); // data order
            SafetensorsTensor t = st.tensor("bf16");
            assertEquals(Dtype.BF16, t.dtype());
            assertArrayEquals(new long[] {3, 2}, t.shape());
            assertEquals(6, t.elementCount());
            assertArrayEquals(f32, widen(Dtype.F32, bytesOf(st, "f32")));
            assertArrayEquals(new float[] {1f, -2f, 0x1p-24f, 65504f, Float.NEGATIVE_INFINITY, -0f},
                    widen(Dtype.F16, bytesOf(st, "f16")));
            assertArrayEquals(new float[] {1f, -3f, Float.intBitsToFloat(0x10000), Float.intBitsToFloat(0x7F7F0000),
                    Float.NEGATIVE_INFINITY, -0f}, widen(Dtype.BF16, bytesOf(st, "bf16")));
            assertArrayEquals(new float[] {1f, -1f, 0x1p-9f, 448f, Float.NaN, -0f}, widen(Dtype.F8_E4M3, bytesOf(st, "e4m3")));
            assertArrayEquals(new float[] {1f, -1f, 0x1p-16f, 57344f, Float.POSITIVE_INFINITY, Float.NaN},
                    widen(Dtype.F8_E5M2, bytesOf(st, "e5m2")));
            assertEquals(0, st.data(st.tensor("empty")).byteSize());
            assertEquals(1, st.tensor("scalar").elementCount());
            for (String name : List.of("f64", "i64", "i32", "u8", "bool")) {
                assertFalse(st.tensor(name).dtype().isConvertible());
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                        () -> widen(st.tensor(name).dtype(), bytesOf(st, name)));
                assertTrue(e.getMessage().contains("cannot be converted"));
            }
        }
    }

    private static byte[] bytesOf(SafetensorsFile st, String name) {
        return st.data(st.tensor(name)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** Every float8 code against the formula value = (-1)^s * 2^(e - bias) * (1 + m / 2^mbits), in double. */
    @Test
    void float8WideningMatchesTheFormulaForAll256Codes() {
        for (int code = 0; code < 256; code++) {
            byte[] one = {(byte) code};
            double sign = (code & 0x80) != 0 ? -1.0 : 1.0; // multiplying keeps -0.0

            int e = (code >> 3) & 0xF, m = code & 7;
            double e4m3 = sign * (e == 0 ? m / 8.0 * Math.pow(2, -6) : (1 + m / 8.0) * Math.pow(2, e - 7));
            boolean e4m3Nan = e == 15 && m == 7;
            float got = widen(Dtype.F8_E4M3, one)[0];
            if (e4m3Nan) {
                assertTrue(Float.isNaN(got), "e4m3 code " + code);
            } else {
                assertEquals(Float.floatToIntBits((float) e4m3), Float.floatToIntBits(got), "e4m3 code " + code);
            }

            e = (code >> 2) & 0x1F;
            m = code & 3;
            got = widen(Dtype.F8_E5M2, one)[0];
            if (e == 31) {
                assertTrue(m == 0 ? got == (float) (sign * Double.POSITIVE_INFINITY) : Float.isNaN(got), "e5m2 code " + code);
            } else {
                double e5m2 = sign * (e == 0 ? m / 4.0 * Math.pow(2, -14) : (1 + m / 4.0) * Math.pow(2, e - 15));
                assertEquals(Float.floatToIntBits((float) e5m2), Float.floatToIntBits(got), "e5m2 code " + code);
            }
        }
        // Sanity of the table ends: e4m3fn tops out at 448, e5m2 at 57344.
        assertEquals(448f, widen(Dtype.F8_E4M3, new byte[] {0x7E})[0]);
        assertEquals(Numerics.fp16ToFp32((short) 0x7B00), widen(Dtype.F8_E5M2, new byte[] {0x7B})[0]);
    }

    private void assertRejected(byte[] bytes, String expected) throws IOException {
        Path file = Files.write(dir.resolve("bad" + files++ + ".safetensors"), bytes);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' lacks '" + expected + "'");
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void corruptHeadersAreRejected() throws IOException {
        SafetensorsTestFiles two = new SafetensorsTestFiles()
                .tensor("a", "F16", new long[] {2}, new byte[4]).tensor("b", "F32", new long[] {1}, new byte[4]);
        assertRejected(new byte[5], "too short for the 8-byte header length");
        assertRejected(le(8, 1L << 40), "header length 1099511627776 is invalid");
        assertRejected(le(8, 100), "header length 100 is invalid");
        assertRejected(two.bytesWithHeader("{\"a\": "), "invalid JSON");
        assertRejected(two.bytesWithHeader("[1, 2]"), "expected a JSON object");
        assertRejected(two.bytesWithHeader("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}}"), "duplicate member name \"a\"");
        assertRejected(two.bytesWithHeader("{\"a\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}"),
                "tensor 'a' has unknown dtype 'F4'");
        assertRejected(two.bytesWithHeader("{\"a\":{\"shape\":[2],\"data_offsets\":[0,4]}}"), "has no dtype");
        assertRejected(two.bytesWithHeader("{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}"),
                "(6 bytes) but data_offsets span 4 bytes");
        assertRejected(two.bytesWithHeader("{\"a\":{\"dtype\":\"F16\",\"shape\":[-2],\"data_offsets\":[0,4]}}"),
                "shape element 0 is not a non-negative integer");
        assertRejected(two.bytesWithHeader("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[6,10]}}"), "outside the data buffer");
        assertRejected(two.bytesWithHeader("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[2,6]}}"), "tensors 'a' and 'b' overlap");
        assertRejected(two.bytesWithHeader("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0]}}"),
                "data_offsets has 1 elements, expected 2");
        assertRejected(two.bytesWithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
                + "\"data_offsets\":[0,4]}}"), "overflows 64 bits");
        assertRejected(two.bytesWithHeader("{\"__metadata__\":{\"k\":1}}"), "__metadata__ value of 'k' is a number");
        assertRejected(two.bytesWithHeader("{\"a\":[]}"), "tensor 'a' is an array, expected an object");
        byte[] badUtf8 = two.bytesWithHeader("{\"x\":1}");
        badUtf8[10] = (byte) 0xC3;
        assertRejected(badUtf8, "not valid UTF-8");
    }

    @Test
    void realFluxTinyModel() throws IOException {
        Path model = Path.of(System.getProperty("quanthub.testdata", "/work/shared/testdata"), "flux-tiny",
                "model.safetensors");
        byte[] raw = Files.readAllBytes(model);
        try (SafetensorsFile st = SafetensorsFile.open(model)) {
            assertEquals(84, st.tensors().size());
            assertTrue(st.tensors().stream().allMatch(t -> t.dtype() == Dtype.BF16));
            SafetensorsTensor img = st.tensor("img_in.weight");
            assertArrayEquals(new long[] {64, 64}, img.shape());
            float[] floats = widen(Dtype.BF16, bytesOf(st, "img_in.weight"));
            // Independently: BF16 is the top half of a float.
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < floats.length; i++) {
                int bits = (b.getShort((int) img.fileOffset() + 2 * i) & 0xFFFF) << 16;
                assertEquals(Float.intBitsToFloat(bits), floats[i]);
            }
            long lastEnd = st.tensors().getLast().fileOffset() + st.tensors().getLast().byteSize();
            assertEquals(raw.length, lastEnd);
        }
    }
}
