package io.quanthub.gguf.reference;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * ggml's own C implementation (libggml-base.so), called through the FFM API. It is the reference that our
 * quantization is compared with, byte for byte, in tests and in the side-by-side benchmark. It is never used to
 * produce QuantHub's output.
 *
 * <p>Found at an explicit path, else the system property {@code ggml.lib}, else the environment variable
 * {@code QUANTHUB_GGML_LIB}, else {@code .cache/ggml/...} below the working directory (where scripts/test.sh puts the
 * npm package {@code @node-llama-cpp/linux-x64}).
 */
public final class GgmlLibrary {
    /** Where scripts/test.sh installs ggml, relative to the project root. */
    public static final String DEFAULT_RELATIVE_PATH =
            ".cache/ggml/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so";

    private final Path path;
    private final MethodHandle quantizeChunk;
    private final MethodHandle quantizeInit;
    private final MethodHandle ggufInitFromFile;
    private final MethodHandle ggufFree;
    private final SymbolLookup lookup;
    private final Linker linker = Linker.nativeLinker();

    private GgmlLibrary(Path path) {
        this.path = path;
        this.lookup = SymbolLookup.libraryLookup(path, Arena.global());
        // size_t ggml_quantize_chunk(enum ggml_type type, const float * src, void * dst, int64_t start,
        //                            int64_t nrows, int64_t n_per_row, const float * imatrix);
        this.quantizeChunk = handle("ggml_quantize_chunk",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
        this.quantizeInit = handle("ggml_quantize_init", FunctionDescriptor.ofVoid(JAVA_INT));
        // struct gguf_context * gguf_init_from_file(const char * fname, struct gguf_init_params params);
        // gguf_init_params is { bool no_alloc; struct ggml_context ** ctx; } passed by value.
        this.ggufInitFromFile = handle("gguf_init_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS,
                java.lang.foreign.MemoryLayout.structLayout(JAVA_BOOLEAN,
                        java.lang.foreign.MemoryLayout.paddingLayout(7), ADDRESS)));
        this.ggufFree = handle("gguf_free", FunctionDescriptor.ofVoid(ADDRESS));
    }

    /** Loads ggml from the default locations (see class comment). */
    public static GgmlLibrary load() {
        String configured = System.getProperty("ggml.lib");
        if (configured == null || configured.isBlank()) configured = System.getenv("QUANTHUB_GGML_LIB");
        Path candidate = configured != null && !configured.isBlank()
                ? Path.of(configured) : Path.of(DEFAULT_RELATIVE_PATH).toAbsolutePath();
        return load(candidate);
    }

    /** Loads ggml from this file. */
    public static GgmlLibrary load(Path libggmlBase) {
        if (!Files.isRegularFile(libggmlBase)) {
            throw new IllegalStateException("ggml reference library not found at " + libggmlBase
                    + " (install it with: npm install --prefix .cache/ggml @node-llama-cpp/linux-x64@3.22.1,"
                    + " or point -Dggml.lib / QUANTHUB_GGML_LIB at libggml-base.so)");
        }
        return new GgmlLibrary(libggmlBase.toAbsolutePath());
    }

    public Path path() {
        return path;
    }

    /** A handle to any function of libggml-base.so, for tests that need more than the methods here. */
    public MethodHandle handle(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lookup.find(name)
                .orElseThrow(() -> new IllegalStateException(name + " not found in " + path));
        return linker.downcallHandle(symbol, descriptor);
    }

    /**
     * ggml_quantize_chunk on rows {@code [0, nRows)} of {@code src}: the exact function llama-quantize uses.
     *
     * @param imatrix importance per position in a row (length nPerRow), or null
     * @return the quantized bytes
     */
    public byte[] quantize(GgmlType type, float[] src, int nRows, int nPerRow, float[] imatrix) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(JAVA_FLOAT, src);
            long outBytes = type.rowBytes(nPerRow) * nRows;
            MemorySegment out = arena.allocate(outBytes, 64);
            MemorySegment im = imatrix == null ? MemorySegment.NULL : arena.allocateFrom(JAVA_FLOAT, imatrix);
            quantizeInit.invokeExact(type.id);
            long written = (long) quantizeChunk.invokeExact(type.id, in, out, 0L, (long) nRows, (long) nPerRow, im);
            if (written != outBytes) {
                throw new IllegalStateException("ggml wrote " + written + " bytes, expected " + outBytes);
            }
            return out.toArray(ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A reusable quantize call over native buffers, for benchmarks (no copying per call). */
    public long quantizeNative(GgmlType type, MemorySegment src, MemorySegment dst, long nRows, long nPerRow,
                               MemorySegment imatrix) {
        try {
            return (long) quantizeChunk.invokeExact(type.id, src, dst, 0L, nRows, nPerRow, imatrix);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Calls ggml_quantize_init for a type (a no-op for all types but the IQ lattice ones). */
    public void quantizeInit(GgmlType type) {
        try {
            quantizeInit.invokeExact(type.id);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * dequantize_row_&lt;type&gt; (or ggml_fp16_to_fp32_row / ggml_bf16_to_fp32_row) over {@code n} elements. F32 has
     * no such function in ggml (its type traits have no to_float): its bytes are read as they are.
     */
    public float[] dequantize(GgmlType type, byte[] src, int n) {
        if (type == GgmlType.F32) {
            return MemorySegment.ofArray(src).asSlice(0, (long) n * 4)
                    .toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
        }
        String name = switch (type) {
            case F16 -> "ggml_fp16_to_fp32_row";
            case BF16 -> "ggml_bf16_to_fp32_row";
            default -> "dequantize_row_" + type.ggmlName.toLowerCase(Locale.ROOT)
                    .replace("_k", "_K");
        };
        MethodHandle h = handle(name, FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_BYTE, src);
            MemorySegment out = arena.allocate((long) n * 4, 64);
            h.invokeExact(in, out, (long) n);
            return out.toArray(JAVA_FLOAT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Opens a GGUF file with ggml's own parser ({@code gguf_init_from_file}, no_alloc=true).
     *
     * @return a context to query with {@link #handle}; free it with {@link #ggufFree}. Null when ggml rejects the file.
     */
    public MemorySegment ggufOpen(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(16, 8);
            params.set(JAVA_BOOLEAN, 0, true);
            params.set(ADDRESS, 8, MemorySegment.NULL);
            MemorySegment ctx = (MemorySegment) ggufInitFromFile.invokeExact(
                    arena.allocateFrom(file.toAbsolutePath().toString()), params);
            return ctx.equals(MemorySegment.NULL) ? null : ctx;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void ggufFree(MemorySegment ctx) {
        try {
            ggufFree.invokeExact(ctx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
