package io.quanthub.gguf;

import io.quanthub.gguf.BlockLayout.Field;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.gguf.reference.GgmlLibrary;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every type's block layout, the one statement of it, against what it is checked by: its fields tile the block, and
 * its size and fields agree with ggml itself (through FFM) and with the table in the shared spec.
 */
class BlockLayoutTest {
    @Test
    void everyLayoutTilesItsBlockWithoutGapOrOverlap() {
        for (GgmlType type : GgmlType.values()) {
            int end = 0;
            for (Field f : type.layout.fields()) {
                assertEquals(end, f.offset(), type + " field " + f.name() + " leaves a gap or overlaps");
                end = f.end();
            }
            assertEquals(type.typeSize, end, type + ": the fields do not fill the block");
            assertEquals(type.typeSize, type.layout.bytes(), type.toString());
            assertEquals(1, Integer.bitCount(type.blockSize), type + ": block sizes are powers of two (QuantArgs)");
        }
    }

    @Test
    void aLayoutWithAGapOrOverlapIsRefused() {
        Field d = new Field("d", BlockLayout.Scalar.F16, 1, 0);
        assertThrows(IllegalArgumentException.class,
                () -> new BlockLayout(List.of(d, new Field("qs", BlockLayout.Scalar.U8, 16, 3))));
        assertThrows(IllegalArgumentException.class,
                () -> new BlockLayout(List.of(d, new Field("qs", BlockLayout.Scalar.U8, 16, 1))));
        assertThrows(IllegalArgumentException.class,
                () -> new BlockLayout(List.of(d, new Field("d", BlockLayout.Scalar.U8, 16, 2))));
        assertThrows(IllegalArgumentException.class, () -> GgmlType.Q4_0.layout.offset("dmin"));
    }

    /** Each format takes its field offsets from its layout when its class initialises: none names a missing field. */
    @Test
    void everyFormatFindsItsFields() {
        for (GgmlType type : Quants.supported()) {
            Quants.of(type).dequantize(new byte[type.typeSize], 0, new float[type.blockSize], 0, type.blockSize);
        }
    }

    @Test
    void sizesAndFieldsMatchGgml() throws Throwable {
        GgmlLibrary ggml;
        try {
            ggml = GgmlLibrary.load();
        } catch (IllegalStateException notInstalled) {
            assumeTrue(false, notInstalled.getMessage());
            return;
        }
        MethodHandle typeSize = ggml.handle("ggml_type_size", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        MethodHandle blockSize = ggml.handle("ggml_blck_size", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        MethodHandle typeName = ggml.handle("ggml_type_name", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        int maxId = 0;
        for (GgmlType type : GgmlType.values()) {
            String name = ((MemorySegment) typeName.invokeExact(type.id)).reinterpret(64).getString(0);
            assertEquals(type.ggmlName, name, "ggml's name of id " + type.id);
            long ggmlBlockSize = (long) blockSize.invokeExact(type.id);
            long ggmlTypeSize = (long) typeSize.invokeExact(type.id);
            assertEquals(ggmlBlockSize, type.blockSize, type + " block size (expected: ggml's)");
            assertEquals(ggmlTypeSize, type.typeSize, type + " type size (expected: ggml's)");
            maxId = Math.max(maxId, type.id);
        }
        // Only ids up to ours: ggml's tables have no bounds check, and ours is as new as the library.
        for (int id = 0; id <= maxId; id++) {
            boolean ggmlHasIt = (long) blockSize.invokeExact(id) != 0;
            assertEquals(ggmlHasIt, GgmlType.byId(id).isPresent(), "id " + id + " known to ggml but not to us, or back");
        }
    }

    /**
     * The type table of gguf-and-quants.md §2: for every type with a numeric id, its block size, byte size and each
     * field's name, element count and offset ({@code scales[12]@4}, {@code d@0}).
     */
    @Test
    void sizesAndFieldsMatchTheSpec() throws IOException {
        String testdata = System.getProperty("quanthub.testdata");
        assumeTrue(testdata != null, "no quanthub.testdata property, so no shared spec");
        Path spec = Path.of(testdata).resolveSibling("spec").resolve("gguf-and-quants.md");
        assumeTrue(Files.isRegularFile(spec), "spec not found at " + spec);
        Pattern row = Pattern.compile("^\\| (\\d+) \\| (\\w+) `[^`]+` \\| (\\d+) \\| (\\d+) \\| (.*) \\|$");
        Pattern field = Pattern.compile("^\\s*(\\w+)(?:\\[(\\d+)\\])?[^@]*@(\\d+)");
        List<GgmlType> checked = new ArrayList<>();
        for (String line : Files.readAllLines(spec)) {
            Matcher m = row.matcher(line);
            if (!m.matches()) continue;
            GgmlType type = GgmlType.byId(Integer.parseInt(m.group(1))).orElseThrow(
                    () -> new AssertionError("the spec lists id " + m.group(1) + " (" + m.group(2) + "), we do not"));
            assertEquals(m.group(2), type.name(), "name of id " + type.id);
            assertEquals(Integer.parseInt(m.group(3)), type.blockSize, type + " block size");
            assertEquals(Integer.parseInt(m.group(4)), type.typeSize, type + " type size");
            // Fields look like "qs[16]@2", "d **float32**@0", "qs[32] int8 @2", notes in parentheses.
            String fields = m.group(5).replaceAll("\\([^)]*\\)", "");
            if (!fields.contains("@")) {
                assertEquals(1, type.layout.fields().size(), type + ": a plain value");
            } else {
                Map<String, int[]> stated = new HashMap<>();
                for (String part : fields.split(",")) {
                    Matcher f = field.matcher(part);
                    assertTrue(f.find(), "cannot read field '" + part + "' of " + type);
                    int count = f.group(2) == null ? 1 : Integer.parseInt(f.group(2));
                    stated.put(f.group(1), new int[]{count, Integer.parseInt(f.group(3))});
                }
                assertEquals(stated.keySet(), fieldNames(type), type + " field names");
                for (Field ours : type.layout.fields()) {
                    int[] s = stated.get(ours.name());
                    assertEquals(s[1], ours.offset(), type + " offset of " + ours.name());
                    // A u16 stated as one value ("scales_h u16") has count 1 either way.
                    assertEquals(s[0], ours.count(), type + " element count of " + ours.name());
                }
            }
            checked.add(type);
        }
        // The table has a row per id except the plain integer types, which share one row ("24–28").
        List<GgmlType> missing = new ArrayList<>(List.of(GgmlType.values()));
        missing.removeAll(checked);
        assertEquals(List.of(GgmlType.I8, GgmlType.I16, GgmlType.I32, GgmlType.I64, GgmlType.F64), missing);
    }

    private static Set<String> fieldNames(GgmlType type) {
        Set<String> names = new HashSet<>();
        for (Field f : type.layout.fields()) names.add(f.name());
        return names;
    }
}
