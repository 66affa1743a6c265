package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.reference.GgmlLibrary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our files read by ggml's gguf.cpp, and files written by gguf.cpp read by us. */
@SuppressWarnings("restricted") // reading C strings and arrays returned by ggml
class GgufGgmlInteropTest {
    private static GgmlLibrary ggml;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        ggml = GgmlLibrary.load();
    }

    private static MethodHandle fn(String name, MemoryLayout result, MemoryLayout... args) {
        return ggml.handle(name, result == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(result, args));
    }

    private static String cString(MemorySegment p) {
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    @Test
    void ggmlReadsOurFiles() throws Throwable {
        List<TensorSpec> tensors = List.of(
                TensorSpec.of("double_blocks.0.img_attn.qkv.weight", GgmlType.Q4_K, 256, 3),
                TensorSpec.of("double_blocks.0.img_attn.qkv.bias", GgmlType.F32, 7),
                TensorSpec.of("img_in.weight", GgmlType.Q8_0, 64, 2, 3, 2),
                TensorSpec.of("txt_in.weight", GgmlType.BF16, 5, 3),
                new TensorSpec("pos_embed", new long[] {16, 4, 1}, GgmlType.F16),
                TensorSpec.of("n".repeat(63), GgmlType.F32, 1));
        for (long alignment : new long[] {32, 64}) {
            Map<String, GgufValue> metadata = new java.util.LinkedHashMap<>(GgufTestFiles.everyValueType());
            if (alignment != 32) metadata.put("general.alignment", GgufValue.u32(alignment));
            Path file = dir.resolve("ours" + alignment + ".gguf");
            GgufLayout layout = GgufTestFiles.write(file, metadata, tensors, 1000);

            MemorySegment ctx = ggml.ggufOpen(file);
            assertNotNull(ctx, "ggml rejected our file");
            try (Arena arena = Arena.ofConfined()) {
                assertEquals(3, (int) fn("gguf_get_version", JAVA_INT, ADDRESS).invokeExact(ctx));
                assertEquals(alignment, (long) fn("gguf_get_alignment", JAVA_LONG, ADDRESS).invokeExact(ctx));
                assertEquals(layout.dataOffset(), (long) fn("gguf_get_data_offset", JAVA_LONG, ADDRESS).invokeExact(ctx));

                long nTensors = (long) fn("gguf_get_n_tensors", JAVA_LONG, ADDRESS).invokeExact(ctx);
                assertEquals(tensors.size(), nTensors);
                MethodHandle name = fn("gguf_get_tensor_name", ADDRESS, ADDRESS, JAVA_LONG);
                MethodHandle offset = fn("gguf_get_tensor_offset", JAVA_LONG, ADDRESS, JAVA_LONG);
                MethodHandle type = fn("gguf_get_tensor_type", JAVA_INT, ADDRESS, JAVA_LONG);
                MethodHandle ne = fn("gguf_get_tensor_ne", ADDRESS, ADDRESS, JAVA_LONG);
                for (int i = 0; i < nTensors; i++) {
                    TensorInfo t = layout.tensors().get(i);
                    assertEquals(t.name(), cString((MemorySegment) name.invokeExact(ctx, (long) i)));
                    assertEquals(t.offset(), (long) offset.invokeExact(ctx, (long) i));
                    assertEquals(t.type().id, (int) type.invokeExact(ctx, (long) i));
                    long[] ggmlNe = ((MemorySegment) ne.invokeExact(ctx, (long) i)).reinterpret(32).toArray(JAVA_LONG);
                    assertArrayEquals(new long[] {t.ne(0), t.ne(1), t.ne(2), t.ne(3)}, ggmlNe);
                }

                long nKv = (long) fn("gguf_get_n_kv", JAVA_LONG, ADDRESS).invokeExact(ctx);
                assertEquals(metadata.size(), nKv);
                MethodHandle key = fn("gguf_get_key", ADDRESS, ADDRESS, JAVA_LONG);
                MethodHandle kvType = fn("gguf_get_kv_type", JAVA_INT, ADDRESS, JAVA_LONG);
                List<String> keys = new ArrayList<>(metadata.keySet());
                for (int i = 0; i < nKv; i++) {
                    String k = cString((MemorySegment) key.invokeExact(ctx, (long) i));
                    assertEquals(keys.get(i), k);
                    GgufValue v = metadata.get(k);
                    assertEquals(v.type().code, (int) kvType.invokeExact(ctx, (long) i), k);
                    assertSameValue(ctx, i, v, k);
                }
            } finally {
                ggml.ggufFree(ctx);
            }
        }
    }

    /** Reads KV {@code i} with the gguf_get_val_* / gguf_get_arr_* function of its type (others would abort). */
    private static void assertSameValue(MemorySegment ctx, long i, GgufValue value, String key) throws Throwable {
        switch (value) {
            case GgufValue.U8 v -> assertEquals((byte) v.value(), (byte) fn("gguf_get_val_u8", JAVA_BYTE, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.I8 v -> assertEquals(v.value(), (byte) fn("gguf_get_val_i8", JAVA_BYTE, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.U16 v -> assertEquals((short) v.value(), (short) fn("gguf_get_val_u16", JAVA_SHORT, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.I16 v -> assertEquals(v.value(), (short) fn("gguf_get_val_i16", JAVA_SHORT, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.U32 v -> assertEquals((int) v.value(), (int) fn("gguf_get_val_u32", JAVA_INT, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.I32 v -> assertEquals(v.value(), (int) fn("gguf_get_val_i32", JAVA_INT, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.F32 v -> assertEquals(v.value(), (float) fn("gguf_get_val_f32", JAVA_FLOAT, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.Bool v -> assertEquals(v.value(), (boolean) fn("gguf_get_val_bool", JAVA_BOOLEAN, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.Str v -> assertEquals(v.value(), cString((MemorySegment) fn("gguf_get_val_str", ADDRESS, ADDRESS, JAVA_LONG).invokeExact(ctx, i)));
            case GgufValue.U64 v -> assertEquals(v.value(), (long) fn("gguf_get_val_u64", JAVA_LONG, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.I64 v -> assertEquals(v.value(), (long) fn("gguf_get_val_i64", JAVA_LONG, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.F64 v -> assertEquals(v.value(), (double) fn("gguf_get_val_f64", JAVA_DOUBLE, ADDRESS, JAVA_LONG).invokeExact(ctx, i));
            case GgufValue.Arr a -> {
                assertEquals(a.elementType().code, (int) fn("gguf_get_arr_type", JAVA_INT, ADDRESS, JAVA_LONG).invokeExact(ctx, i), key);
                assertEquals(a.values().size(), (long) fn("gguf_get_arr_n", JAVA_LONG, ADDRESS, JAVA_LONG).invokeExact(ctx, i), key);
                if (a.elementType() == GgufValueType.STRING) {
                    MethodHandle str = fn("gguf_get_arr_str", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG);
                    for (int j = 0; j < a.values().size(); j++) {
                        assertEquals(a.values().get(j).asString(), cString((MemorySegment) str.invokeExact(ctx, i, (long) j)));
                    }
                } else if (a.elementType() == GgufValueType.INT32) {
                    MemorySegment data = ((MemorySegment) fn("gguf_get_arr_data", ADDRESS, ADDRESS, JAVA_LONG).invokeExact(ctx, i))
                            .reinterpret(4L * a.values().size());
                    for (int j = 0; j < a.values().size(); j++) {
                        assertEquals(a.values().get(j).asLong(), data.getAtIndex(JAVA_INT, j));
                    }
                }
            }
        }
    }

    @Test
    void ggmlReadsOurEmptyFile() throws Throwable {
        Path file = dir.resolve("empty.gguf");
        GgufLayout layout = GgufTestFiles.write(file, Map.of("k", GgufValue.of("v")), List.of(), 1);
        MemorySegment ctx = ggml.ggufOpen(file);
        assertNotNull(ctx);
        try {
            assertEquals(0L, (long) fn("gguf_get_n_tensors", JAVA_LONG, ADDRESS).invokeExact(ctx));
            // Without tensors gguf.cpp does not align the data offset; the writer still pads the file.
            assertEquals(layout.headerSize(), (long) fn("gguf_get_data_offset", JAVA_LONG, ADDRESS).invokeExact(ctx));
        } finally {
            ggml.ggufFree(ctx);
        }
        assertEquals(64, layout.fileSize());
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(layout.headerSize(), gguf.dataOffset());
        }
    }

    @Test
    void ggmlRefusesComfyUiExtensionsThatWeAccept() throws IOException {
        // Documents why our limits differ from stock ggml: ComfyUI-GGUF raises them (compat §4.1, §4.4).
        Path longName = dir.resolve("long.gguf");
        GgufTestFiles.write(longName, Map.of(), List.of(TensorSpec.of("n".repeat(100), GgmlType.F32, 4)), 64);
        Path fiveD = dir.resolve("5d.gguf");
        GgufTestFiles.write(fiveD, Map.of(), List.of(new TensorSpec("w", new long[] {2, 2, 2, 2, 2}, GgmlType.F32)), 64);
        for (Path p : List.of(longName, fiveD)) {
            assertNull(ggml.ggufOpen(p), p.toString());
            try (GgufFile gguf = GgufFile.open(p)) {
                assertEquals(1, gguf.tensors().size());
            }
        }
    }

    @Test
    void weReadFilesWrittenByGgml() throws Throwable {
        Path file = dir.resolve("by-ggml.gguf");
        float[] aData = {1.5f, -2f, 3.25f, 0f, 7f, 8f};
        try (Arena arena = Arena.ofConfined()) {
            // struct ggml_init_params { size_t mem_size; void * mem_buffer; bool no_alloc; } by value.
            MemoryLayout initParams = MemoryLayout.structLayout(JAVA_LONG, ADDRESS, JAVA_BOOLEAN, MemoryLayout.paddingLayout(7));
            MemorySegment params = arena.allocate(initParams);
            params.set(JAVA_LONG, 0, 1L << 20);
            params.set(ADDRESS, 8, MemorySegment.NULL);
            params.set(JAVA_BOOLEAN, 16, false);
            MemorySegment gctx = (MemorySegment) fn("ggml_init", ADDRESS, initParams).invokeExact(params);
            MemorySegment ctx = (MemorySegment) fn("gguf_init_empty", ADDRESS).invokeExact();
            try {
                MethodHandle newTensor = fn("ggml_new_tensor", ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
                MethodHandle setName = fn("ggml_set_name", ADDRESS, ADDRESS, ADDRESS);
                MethodHandle getData = fn("ggml_get_data", ADDRESS, ADDRESS);
                MethodHandle addTensor = fn("gguf_add_tensor", null, ADDRESS, ADDRESS);

                MemorySegment a = (MemorySegment) newTensor.invokeExact(gctx, GgmlType.F32.id, 2,
                        arena.allocateFrom(JAVA_LONG, 3L, 2L));
                MemorySegment unused = (MemorySegment) setName.invokeExact(a, arena.allocateFrom("a.weight"));
                ((MemorySegment) getData.invokeExact(a)).reinterpret(24).copyFrom(MemorySegment.ofArray(aData));
                addTensor.invokeExact(ctx, a);
                MemorySegment b = (MemorySegment) newTensor.invokeExact(gctx, GgmlType.F16.id, 3,
                        arena.allocateFrom(JAVA_LONG, 5L, 1L, 2L));
                unused = (MemorySegment) setName.invokeExact(b, arena.allocateFrom("b.weight"));
                ((MemorySegment) getData.invokeExact(b)).reinterpret(20).fill((byte) 0x3C);
                addTensor.invokeExact(ctx, b);

                fn("gguf_set_val_str", null, ADDRESS, ADDRESS, ADDRESS).invokeExact(ctx,
                        arena.allocateFrom("general.architecture"), arena.allocateFrom("flux"));
                fn("gguf_set_val_u32", null, ADDRESS, ADDRESS, JAVA_INT).invokeExact(ctx,
                        arena.allocateFrom("general.quantization_version"), 2);
                fn("gguf_set_val_f64", null, ADDRESS, ADDRESS, JAVA_DOUBLE).invokeExact(ctx,
                        arena.allocateFrom("x.f64"), 0.125);
                fn("gguf_set_val_bool", null, ADDRESS, ADDRESS, JAVA_BOOLEAN).invokeExact(ctx,
                        arena.allocateFrom("x.bool"), true);
                MemorySegment strs = arena.allocate(ADDRESS, 2);
                strs.setAtIndex(ADDRESS, 0, arena.allocateFrom("one"));
                strs.setAtIndex(ADDRESS, 1, arena.allocateFrom("two"));
                fn("gguf_set_arr_str", null, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG).invokeExact(ctx,
                        arena.allocateFrom("x.strs"), strs, 2L);
                fn("gguf_set_arr_data", null, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG).invokeExact(ctx,
                        arena.allocateFrom("x.i16s"), GgufValueType.INT16.code,
                        arena.allocateFrom(JAVA_SHORT, (short) -1, (short) 300), 2L);
                // Re-setting a key moves it to the end (spec §1.5).
                fn("gguf_set_val_u32", null, ADDRESS, ADDRESS, JAVA_INT).invokeExact(ctx,
                        arena.allocateFrom("general.quantization_version"), 3);
                boolean ok = (boolean) fn("gguf_write_to_file", JAVA_BOOLEAN, ADDRESS, ADDRESS, JAVA_BOOLEAN)
                        .invokeExact(ctx, arena.allocateFrom(file.toString()), false);
                assertTrue(ok);
            } finally {
                ggml.ggufFree(ctx);
                fn("ggml_free", null, ADDRESS).invokeExact(gctx);
            }
        }

        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(List.of("general.architecture", "x.f64", "x.bool", "x.strs", "x.i16s",
                    "general.quantization_version"), List.copyOf(gguf.metadata().keySet()));
            assertEquals("flux", gguf.metadata().get("general.architecture").asString());
            assertEquals(GgufValue.u32(3), gguf.metadata().get("general.quantization_version"));
            assertEquals(new GgufValue.F64(0.125), gguf.metadata().get("x.f64"));
            assertEquals(new GgufValue.Bool(true), gguf.metadata().get("x.bool"));
            assertEquals(GgufValue.ofStrings(List.of("one", "two")), gguf.metadata().get("x.strs"));
            assertEquals(new GgufValue.Arr(GgufValueType.INT16, List.of(new GgufValue.I16((short) -1),
                    new GgufValue.I16((short) 300))), gguf.metadata().get("x.i16s"));

            TensorInfo a = gguf.tensor("a.weight");
            assertArrayEquals(new long[] {3, 2}, a.dims());
            assertArrayEquals(aData, gguf.data(a).toArray(JAVA_FLOAT));
            TensorInfo b = gguf.tensor("b.weight");
            assertArrayEquals(new long[] {5, 1, 2}, b.dims()); // ggml_n_dims keeps an inner 1
            assertEquals(GgmlType.F16, b.type());
            assertEquals(32, b.offset());
            byte[] expected = new byte[20];
            java.util.Arrays.fill(expected, (byte) 0x3C);
            assertArrayEquals(expected, gguf.data(b).toArray(ValueLayout.JAVA_BYTE));

            // Our writer, given the same content, produces the same bytes as ggml's.
            Path ours = dir.resolve("ours.gguf");
            try (GgufWriter w = GgufWriter.create(ours, gguf.metadata(),
                    gguf.tensors().stream().map(TensorInfo::spec).toList())) {
                for (TensorInfo t : gguf.tensors()) w.writeTensorData(gguf.data(t));
            }
            assertArrayEquals(java.nio.file.Files.readAllBytes(file), java.nio.file.Files.readAllBytes(ours));
        }
    }
}
