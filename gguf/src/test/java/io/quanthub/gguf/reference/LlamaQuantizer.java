package io.quanthub.gguf.reference;

import io.quanthub.gguf.convert.QuantLevel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * llama.cpp's own {@code llama_model_quantize} (libllama from the same npm package as {@link GgmlLibrary}, next to
 * libggml-base.so), through FFM: the oracle the T5 quant levels are compared with, byte for byte.
 */
public final class LlamaQuantizer {
    /**
     * {@code llama_model_quantize_params} of this release: as in ggml-org's llama.h (four 32-bit ints/enums, six
     * bools, four pointers: 56 bytes), plus two trailing 32-bit fields this build has (64 bytes in all; its
     * {@code llama_model_quantize_default_params} stores 0 and 2 there, see its disassembly). Declaring the full size
     * matters: the defaults are returned by value through a buffer of this size. Only {@code nthread} and
     * {@code ftype} are changed from the library's defaults; the rest is passed back as the library filled it.
     */
    public static final StructLayout PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("nthread"),
            JAVA_INT.withName("ftype"),
            JAVA_INT.withName("output_tensor_type"),
            JAVA_INT.withName("token_embedding_type"),
            JAVA_BOOLEAN.withName("allow_requantize"),
            JAVA_BOOLEAN.withName("quantize_output_tensor"),
            JAVA_BOOLEAN.withName("only_copy"),
            JAVA_BOOLEAN.withName("pure"),
            JAVA_BOOLEAN.withName("keep_split"),
            JAVA_BOOLEAN.withName("dry_run"),
            MemoryLayout.paddingLayout(2),
            ADDRESS.withName("imatrix"),
            ADDRESS.withName("kv_overrides"),
            ADDRESS.withName("tensor_types"),
            ADDRESS.withName("prune_layers"),
            JAVA_INT.withName("trailing_56"),
            JAVA_INT.withName("trailing_60"));

    private final MethodHandle defaultParams;
    private final MethodHandle quantize;

    private LlamaQuantizer(Path libllama) {
        SymbolLookup lookup = SymbolLookup.libraryLookup(libllama, Arena.global());
        Linker linker = Linker.nativeLinker();
        this.defaultParams = linker.downcallHandle(lookup.find("llama_model_quantize_default_params").orElseThrow(),
                FunctionDescriptor.of(PARAMS));
        // uint32_t llama_model_quantize(const char * fname_inp, const char * fname_out, const params * params);
        this.quantize = linker.downcallHandle(lookup.find("llama_model_quantize").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    /** libllama next to the ggml library {@link GgmlLibrary#load()} finds. */
    public static LlamaQuantizer load() throws IOException {
        Path dir = GgmlLibrary.load().path().getParent();
        try (DirectoryStream<Path> libs = Files.newDirectoryStream(dir, "libllama*.so")) {
            for (Path p : libs) {
                if (!p.getFileName().toString().startsWith("libllama-")) return new LlamaQuantizer(p);
            }
        }
        throw new IllegalStateException("libllama not found in " + dir);
    }

    /** The library's default parameters, as it fills them. */
    public MemorySegment defaults(Arena arena) {
        try {
            return (MemorySegment) defaultParams.invokeExact((java.lang.foreign.SegmentAllocator) arena);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Quantizes an F32/F16 GGUF to this level as {@code llama-quantize IN OUT TYPE THREADS} would. */
    public void quantize(Path in, Path out, QuantLevel level, int threads) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = defaults(arena);
            params.set(JAVA_INT, PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("nthread")), threads);
            params.set(JAVA_INT, PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("ftype")), level.ftypeId);
            int rc = (int) quantize.invokeExact(arena.allocateFrom(in.toString()), arena.allocateFrom(out.toString()),
                    params);
            if (rc != 0) throw new IllegalStateException("llama_model_quantize failed (" + rc + ") for " + level);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
