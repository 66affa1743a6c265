package io.quanthub.gguf.reference;

import io.quanthub.gguf.GgmlType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * ggml's CPU backend ({@code libggml-cpu-<variant>.so}, next to {@code libggml-base.so}) through FFM: the reference
 * side of the matrix-multiply benchmark. A product is one {@code ggml_mul_mat} node in a context-allocated graph,
 * computed with {@code ggml_graph_compute_with_ctx}, as ggml's own {@code simple-ctx} example does.
 *
 * <p>The npm package ships one CPU library per instruction set; {@link #load} takes the best one this CPU runs
 * (by the {@code /proc/cpuinfo} flags), trying zen4, skylakex, haswell, then the x64 baseline.
 */
public final class GgmlCpu {
    /** A CPU library variant and the /proc/cpuinfo flags it needs. */
    record Variant(String name, Set<String> flags) {
    }

    static final List<Variant> VARIANTS = List.of(
            new Variant("zen4", Set.of("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw", "avx512vbmi",
                    "avx512_vnni", "avx512_bf16")),
            new Variant("skylakex", Set.of("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw")),
            new Variant("haswell", Set.of("avx", "avx2", "fma", "f16c", "bmi2")),
            new Variant("x64", Set.of()));

    /** ggml_init_params: { size_t mem_size; void * mem_buffer; bool no_alloc; }, passed by value. */
    private static final MemoryLayout INIT_PARAMS = MemoryLayout.structLayout(JAVA_LONG.withName("mem_size"),
            ADDRESS.withName("mem_buffer"), JAVA_BOOLEAN.withName("no_alloc"), MemoryLayout.paddingLayout(7));

    private final Path library;
    private final MethodHandle init;
    private final MethodHandle free;
    private final MethodHandle newTensor2d;
    private final MethodHandle mulMat;
    private final MethodHandle newGraph;
    private final MethodHandle buildForwardExpand;
    private final MethodHandle getData;
    private final MethodHandle tensorOverhead;
    private final MethodHandle graphOverhead;
    private final MethodHandle computeWithCtx;

    private GgmlCpu(GgmlLibrary base, Path library) {
        this.library = library;
        // The CPU library finds libggml-base.so through its RUNPATH; base has loaded that same file already.
        SymbolLookup cpu = SymbolLookup.libraryLookup(library, Arena.global());
        Linker linker = Linker.nativeLinker();
        this.init = base.handle("ggml_init", FunctionDescriptor.of(ADDRESS, INIT_PARAMS));
        this.free = base.handle("ggml_free", FunctionDescriptor.ofVoid(ADDRESS));
        // struct ggml_tensor * ggml_new_tensor_2d(struct ggml_context *, enum ggml_type, int64_t ne0, int64_t ne1)
        this.newTensor2d = base.handle("ggml_new_tensor_2d",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG));
        this.mulMat = base.handle("ggml_mul_mat", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        this.newGraph = base.handle("ggml_new_graph", FunctionDescriptor.of(ADDRESS, ADDRESS));
        this.buildForwardExpand = base.handle("ggml_build_forward_expand",
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        this.getData = base.handle("ggml_get_data", FunctionDescriptor.of(ADDRESS, ADDRESS));
        this.tensorOverhead = base.handle("ggml_tensor_overhead", FunctionDescriptor.of(JAVA_LONG));
        this.graphOverhead = base.handle("ggml_graph_overhead", FunctionDescriptor.of(JAVA_LONG));
        // enum ggml_status ggml_graph_compute_with_ctx(struct ggml_context *, struct ggml_cgraph *, int n_threads)
        this.computeWithCtx = linker.downcallHandle(find(cpu, "ggml_graph_compute_with_ctx"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try {
            // Fills the fp16 and activation tables; ggml calls it from its backend init, which we bypass.
            linker.downcallHandle(find(cpu, "ggml_cpu_init"), FunctionDescriptor.ofVoid()).invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The best CPU library for this machine, from the folder of {@code base}'s libggml-base.so. */
    public static GgmlCpu load(GgmlLibrary base) {
        Set<String> flags = cpuFlags();
        Path dir = base.path().getParent();
        for (Variant v : VARIANTS) {
            Path candidate = dir.resolve("libggml-cpu-" + v.name() + ".so");
            if (flags.containsAll(v.flags()) && Files.isRegularFile(candidate)) return new GgmlCpu(base, candidate);
        }
        throw new IllegalStateException("no ggml CPU library for this CPU in " + dir + " (looked for libggml-cpu-"
                + VARIANTS.stream().map(Variant::name).collect(Collectors.joining("/")) + ".so)");
    }

    /** The library in use, e.g. libggml-cpu-haswell.so. */
    public String libraryName() {
        return library.getFileName().toString();
    }

    /**
     * Sets up {@code out = x * weight^T} for a weight of {@code rows} rows of {@code cols} values stored as
     * {@code type} (ggml's ne0 = cols, ne1 = rows, as GGUF stores a Linear weight) and {@code tokens} rows of F32
     * activations. Both are copied into ggml's context once; {@link MulMat#compute} can then be timed alone.
     */
    public MulMat mulMat(GgmlType type, MemorySegment weight, int rows, int cols, float[] x, int tokens) {
        long weightBytes = type.rowBytes(cols) * rows;
        if (weight.byteSize() != weightBytes) {
            throw new IllegalArgumentException("weight has " + weight.byteSize() + " bytes, " + type + " [" + rows
                    + " x " + cols + "] needs " + weightBytes);
        }
        if (x.length != (long) tokens * cols) {
            throw new IllegalArgumentException("x has " + x.length + " values, needs " + tokens + " x " + cols);
        }
        try {
            long outBytes = (long) tokens * rows * 4;
            // Tensors, the graph, and the work buffer ggml_graph_compute_with_ctx allocates in the same context:
            // the activations converted to the weight's dot type (at most 4 bytes a value) plus per-thread slack.
            long memSize = 4 * (long) tensorOverhead.invokeExact() + (long) graphOverhead.invokeExact()
                    + weightBytes + 2L * x.length * 4 + outBytes + (64L << 20);
            MemorySegment ctx;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment params = arena.allocate(INIT_PARAMS);
                params.set(JAVA_LONG, 0, memSize);
                params.set(ADDRESS, 8, MemorySegment.NULL);
                params.set(JAVA_BOOLEAN, 16, false);
                ctx = (MemorySegment) init.invokeExact(params);
            }
            if (ctx.equals(MemorySegment.NULL)) throw new IllegalStateException("ggml_init failed for " + memSize + " bytes");
            MemorySegment a = (MemorySegment) newTensor2d.invokeExact(ctx, type.id, (long) cols, (long) rows);
            MemorySegment b = (MemorySegment) newTensor2d.invokeExact(ctx, GgmlType.F32.id, (long) cols, (long) tokens);
            data(a, weightBytes).copyFrom(weight);
            MemorySegment.copy(x, 0, data(b, (long) x.length * 4), JAVA_FLOAT, 0, x.length);
            MemorySegment product = (MemorySegment) mulMat.invokeExact(ctx, a, b);
            MemorySegment graph = (MemorySegment) newGraph.invokeExact(ctx);
            buildForwardExpand.invokeExact(graph, product);
            return new MulMat(ctx, graph, data(product, outBytes), tokens * rows);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** One prepared product; free it with {@link #close}. Not thread-safe. */
    public final class MulMat implements AutoCloseable {
        private final MemorySegment ctx;
        private final MemorySegment graph;
        private final MemorySegment out;
        private final int values;
        private boolean closed;

        private MulMat(MemorySegment ctx, MemorySegment graph, MemorySegment out, int values) {
            this.ctx = ctx;
            this.graph = graph;
            this.out = out;
            this.values = values;
        }

        /** Runs the graph on {@code threads} threads (ggml starts and joins them inside the call). */
        public void compute(int threads) {
            if (closed) throw new IllegalStateException("closed");
            try {
                int status = (int) computeWithCtx.invokeExact(ctx, graph, threads);
                if (status != 0) throw new IllegalStateException("ggml_graph_compute_with_ctx returned " + status);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** The product, [tokens x rows] row-major, as of the last {@link #compute}. */
        public float[] result() {
            if (closed) throw new IllegalStateException("closed");
            float[] result = new float[values];
            MemorySegment.copy(out, JAVA_FLOAT, 0, result, 0, values);
            return result;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            try {
                free.invokeExact(ctx);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    private MemorySegment data(MemorySegment tensor, long bytes) throws Throwable {
        return ((MemorySegment) getData.invokeExact(tensor)).reinterpret(bytes);
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException(name + " not found"));
    }

    /** The flags of the first processor in /proc/cpuinfo; empty elsewhere (then only the x64 baseline loads). */
    static Set<String> cpuFlags() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) return Set.of();
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> Set.copyOf(Arrays.asList(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))))
                    .orElse(Set.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
