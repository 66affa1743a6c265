package io.quanthub.inference.text;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * llama.cpp's T5 encoder through libllama (the npm build the tests install), via FFM: load a {@code t5encoder} GGUF,
 * a context with embeddings on, {@code llama_encode} a token batch, read {@code llama_get_embeddings}. For the
 * benchmark against our encoder on the same file and threads.
 *
 * <p>The parameter structs are only read back and passed on: they are bigger than 16 bytes, so the SysV ABI passes
 * and returns them through memory, and a layout at least as large as the real struct is enough; only the first three
 * fields of {@code llama_context_params} ({@code n_ctx, n_batch, n_ubatch}, stable across versions) are written.
 */
final class LlamaT5 implements AutoCloseable {
    private static final MemoryLayout PARAMS = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(64, ValueLayout.JAVA_LONG));
    private static final MemoryLayout BATCH = MemoryLayout.structLayout(JAVA_INT, MemoryLayout.paddingLayout(4),
            ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);

    private final Arena arena = Arena.ofShared();
    private final MethodHandle batchGetOne;
    private final MethodHandle encode;
    private final MethodHandle getEmbeddings;
    private final MethodHandle free;
    private final MethodHandle modelFree;
    private final MemorySegment model;
    private final MemorySegment context;
    private final int dModel;

    LlamaT5(Path libDir, Path gguf, int threads, int maxTokens, int dModel) throws Throwable {
        this.dModel = dModel;
        Linker linker = Linker.nativeLinker();
        Path libllama = Files.list(libDir).filter(p -> p.getFileName().toString().matches("libllama(\\.v[0-9.]+)?\\.so"))
                .findFirst().orElseThrow(() -> new IllegalStateException("no libllama in " + libDir));
        Path libggml = Files.list(libDir).filter(p -> p.getFileName().toString().matches("libggml(\\.v[0-9.]+)?\\.so"))
                .findFirst().orElseThrow(() -> new IllegalStateException("no libggml in " + libDir));
        SymbolLookup ggml = SymbolLookup.libraryLookup(libggml, arena);
        SymbolLookup llama = SymbolLookup.libraryLookup(libllama, arena);
        MethodHandle loadAll = linker.downcallHandle(ggml.find("ggml_backend_load_all_from_path").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS));
        loadAll.invoke(arena.allocateFrom(libDir.toString()));
        linker.downcallHandle(llama.find("llama_backend_init").orElseThrow(), FunctionDescriptor.ofVoid()).invoke();
        MethodHandle modelDefaults = linker.downcallHandle(llama.find("llama_model_default_params").orElseThrow(),
                FunctionDescriptor.of(PARAMS));
        MethodHandle contextDefaults = linker.downcallHandle(llama.find("llama_context_default_params").orElseThrow(),
                FunctionDescriptor.of(PARAMS));
        MethodHandle load = linker.downcallHandle(llama.find("llama_model_load_from_file").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS, PARAMS));
        MethodHandle init = linker.downcallHandle(llama.find("llama_init_from_model").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS, PARAMS));
        MethodHandle setEmbeddings = linker.downcallHandle(llama.find("llama_set_embeddings").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_BOOLEAN));
        MethodHandle setThreads = linker.downcallHandle(llama.find("llama_set_n_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT));
        this.batchGetOne = linker.downcallHandle(llama.find("llama_batch_get_one").orElseThrow(),
                FunctionDescriptor.of(BATCH, ADDRESS, JAVA_INT));
        this.encode = linker.downcallHandle(llama.find("llama_encode").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, BATCH));
        this.getEmbeddings = linker.downcallHandle(llama.find("llama_get_embeddings").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS));
        this.free = linker.downcallHandle(llama.find("llama_free").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS));
        this.modelFree = linker.downcallHandle(llama.find("llama_model_free").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS));

        MemorySegment modelParams = (MemorySegment) modelDefaults.invoke((java.lang.foreign.SegmentAllocator) arena);
        this.model = (MemorySegment) load.invoke(arena.allocateFrom(gguf.toString()), modelParams);
        if (model.equals(MemorySegment.NULL)) throw new IllegalStateException("libllama could not load " + gguf);
        MemorySegment contextParams = (MemorySegment) contextDefaults.invoke((java.lang.foreign.SegmentAllocator) arena);
        contextParams.set(JAVA_INT, 0, maxTokens); // n_ctx
        contextParams.set(JAVA_INT, 4, maxTokens); // n_batch
        contextParams.set(JAVA_INT, 8, maxTokens); // n_ubatch
        this.context = (MemorySegment) init.invoke(model, contextParams);
        if (context.equals(MemorySegment.NULL)) throw new IllegalStateException("libllama could not make a context");
        setEmbeddings.invoke(context, true);
        setThreads.invoke(context, threads, threads);
    }

    /** The encoder states [ids.length x dModel]. */
    float[] encode(int[] ids) throws Throwable {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment tokens = call.allocateFrom(JAVA_INT, ids);
            MemorySegment batch = (MemorySegment) batchGetOne.invoke((java.lang.foreign.SegmentAllocator) call, tokens,
                    ids.length);
            int rc = (int) encode.invoke(context, batch);
            if (rc != 0) throw new IllegalStateException("llama_encode returned " + rc);
            MemorySegment out = ((MemorySegment) getEmbeddings.invoke(context))
                    .reinterpret((long) ids.length * dModel * 4);
            return out.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    @Override
    public void close() {
        try {
            free.invoke(context);
            modelFree.invoke(model);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        arena.close();
    }
}
