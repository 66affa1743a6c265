package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufLayout;
import io.quanthub.gguf.format.GgufWriter;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.quant.Numerics;
import io.quanthub.gguf.quant.QuantFormat;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.gguf.safetensors.Dtype;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Converts a model to GGUF in one streaming pass: plan everything ({@link ConversionPlan}), write the header, then
 * read, quantize and write the tensor data chunk by chunk, in file order.
 *
 * <p><b>Memory</b> is bounded independently of the model size: a chunk is a run of whole rows of about
 * {@link #CHUNK_ELEMENTS} values (for quantized types; float types are split anywhere), and at most
 * {@link #MAX_IN_FLIGHT_BYTES} of encoded chunks wait to be written.
 *
 * <p><b>Parallelism</b>: chunks of all tensors go to a pool of worker threads as one stream, so small tensors and
 * the rows of big ones keep every core busy. The writing thread takes the results back in submission order, so the
 * file is the same for any thread count (quantization is per row; rows do not depend on each other).
 *
 * <p><b>Atomicity</b>: the file is written under a temporary name next to the output, forced to disk and renamed at
 * the end. On any error, on interruption of the calling thread, or on JVM shutdown (Ctrl-C) the temporary file is
 * deleted and no partial output remains.
 */
public final class Converter {
    /** Values per chunk: 256 Ki floats, 1 MiB of float input per worker. */
    public static final int CHUNK_ELEMENTS = 1 << 18;
    /** Encoded bytes allowed to wait for the writer. */
    static final long MAX_IN_FLIGHT_BYTES = 64L << 20;
    /** Each worker's buffer for the source values of a chunk (grown for rows longer than a chunk). */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[CHUNK_ELEMENTS]);
    /** The source values and the decoded output of a chunk whose error is measured. */
    private static final ThreadLocal<float[]> MEASURE_SOURCE = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> MEASURE_DECODED = ThreadLocal.withInitial(() -> new float[0]);

    private final int threads;
    private final boolean overwrite;
    private final boolean measureError;

    /** Progress, reported on the converting thread after each written chunk. */
    public interface ProgressListener {
        ProgressListener NONE = p -> {
        };

        void onProgress(Progress progress);
    }

    /** Tensors and bytes of tensor data written so far. */
    public record Progress(int tensorsDone, int tensorsTotal, long bytesDone, long bytesTotal) {
    }

    /**
     * @param threads   worker threads (at least 1)
     * @param overwrite replace an existing output file; otherwise an existing output is an error
     */
    public Converter(int threads, boolean overwrite) {
        this(threads, overwrite, false);
    }

    private Converter(int threads, boolean overwrite, boolean measureError) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        this.threads = threads;
        this.overwrite = overwrite;
        this.measureError = measureError;
    }

    /**
     * This converter, also measuring the quantization error of the whole model (the output dequantized against the
     * source values, as {@link #encodeUnitsMeasured}) for {@link ConversionSummary#error()}; it costs a dequantization
     * of every chunk. The output bytes are the same.
     */
    public Converter measuringError() {
        return new Converter(threads, overwrite, true);
    }

    /** A converter using every core, refusing to overwrite. */
    public static Converter allCores() {
        return new Converter(Runtime.getRuntime().availableProcessors(), false);
    }

    /**
     * ComfyUI's naming: {@code <input-stem>-<TYPE>.gguf} next to the input ({@code flux1-dev.safetensors} gives
     * {@code flux1-dev-Q4_K_S.gguf}; a directory of shards gives a file beside the directory).
     */
    public static Path defaultOutput(Path input, QuantLevel level) {
        Path abs = input.toAbsolutePath().normalize();
        String name = abs.getFileName().toString();
        String stem = name;
        for (String suffix : List.of(".safetensors.index.json", ".safetensors", ".gguf")) {
            if (!Files.isDirectory(abs) && name.endsWith(suffix) && name.length() > suffix.length()) {
                stem = name.substring(0, name.length() - suffix.length());
                break;
            }
        }
        return abs.resolveSibling(stem + "-" + level + ".gguf");
    }

    /** Opens the model, plans and writes it. */
    public ConversionSummary convert(Path input, QuantLevel level, Path output, ProgressListener listener)
            throws IOException {
        try (ModelSource source = ModelSource.open(input)) {
            return write(ConversionPlan.of(source, level), output, listener);
        }
    }

    /**
     * Writes a planned conversion. The plan's source tensors must stay readable (their {@link ModelSource} open)
     * until this returns.
     *
     * @throws FileAlreadyExistsException when the output exists and overwriting is off
     * @throws InterruptedIOException     when the calling thread is interrupted or the JVM shuts down
     */
    public ConversionSummary write(ConversionPlan plan, Path output, ProgressListener listener) throws IOException {
        long start = System.nanoTime();
        checkSupported(plan);
        Path target = output.toAbsolutePath();
        refuseExisting(target);
        Files.createDirectories(target.getParent());
        GgufLayout layout = plan.layout();
        Path temp = target.resolveSibling("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".partial");

        TempFileGuard guard = new TempFileGuard(temp, Thread.currentThread());
        Runtime.getRuntime().addShutdownHook(guard.hook);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "quanthub-convert");
            t.setDaemon(true);
            return t;
        });
        boolean done = false;
        try {
            QuantError error;
            try (GgufWriter writer = GgufWriter.create(temp, plan.metadata(), plan.specs())) {
                error = writeData(plan, writer, pool, listener);
            }
            long size = Files.size(temp);
            if (size != layout.fileSize()) {
                throw new IOException("wrote " + size + " bytes to " + temp + ", expected " + layout.fileSize());
            }
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            guard.commit(() -> {
                refuseExisting(target);
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            });
            forceDirectory(target.getParent());
            done = true;
            return ConversionSummary.of(plan, target, size, Duration.ofNanos(System.nanoTime() - start), error);
        } catch (IOException | RuntimeException | Error e) {
            // An interrupt can surface as any I/O error, e.g. ClosedByInterruptException from the file channel the
            // writer was using at that moment; report all of them as the interruption they are.
            boolean interrupted = guard.cancelled() || Thread.currentThread().isInterrupted()
                    || e instanceof ClosedByInterruptException;
            if (interrupted && !(e instanceof InterruptedIOException)) {
                throw (InterruptedIOException) new InterruptedIOException("conversion interrupted").initCause(e);
            }
            throw e;
        } finally {
            pool.shutdownNow();
            if (!done) Files.deleteIfExists(temp);
            guard.finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(guard.hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or has run; it waits for `finished` and deletes the file itself.
            }
        }
    }

    /**
     * The chunk loop: submit in order, keep a bounded window in flight, write results in order. Returns the summed
     * quantization error when this converter measures it, else null.
     */
    private QuantError writeData(ConversionPlan plan, GgufWriter writer, ExecutorService pool,
                                 ProgressListener listener) throws IOException {
        List<TensorPlan> tensors = plan.tensors();
        int window = (int) Math.clamp(MAX_IN_FLIGHT_BYTES / maxChunkBytes(tensors), 2, 2L * threads);
        ArrayDeque<Future<Measured>> inFlight = new ArrayDeque<>();
        ArrayDeque<Chunk> inFlightChunks = new ArrayDeque<>();
        long bytesTotal = plan.dataBytes();
        long bytesDone = 0;
        int tensorsDone = 0;
        Iterator<Chunk> chunks = new ChunkIterator(tensors);
        QuantError error = QuantError.NONE;
        while (chunks.hasNext() || !inFlight.isEmpty()) {
            if (chunks.hasNext() && inFlight.size() < window) {
                Chunk c = chunks.next();
                inFlightChunks.add(c);
                inFlight.add(pool.submit(() -> measureError ? encodeMeasured(c) : new Measured(encode(c), null)));
                continue;
            }
            Chunk c = inFlightChunks.remove();
            Measured encoded = await(inFlight.remove(), c);
            byte[] bytes = encoded.bytes();
            if (encoded.error() != null) error = error.plus(encoded.error());
            writer.writeTensorData(bytes);
            bytesDone += bytes.length;
            if (c.lastOfTensor()) tensorsDone++;
            listener.onProgress(new Progress(tensorsDone, tensors.size(), bytesDone, bytesTotal));
        }
        return measureError ? error : null;
    }

    private static Measured await(Future<Measured> future, Chunk c) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("conversion interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new ConversionException("cannot convert tensor '" + c.tensor().source().name() + "': "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), cause);
        }
    }

    /**
     * The output bytes of {@code units} consecutive units of a tensor starting at unit {@code firstUnit}, where a
     * unit is a row for quantized types and one element for float types (see {@link #unitBytes}). Quantization is
     * per row, so any run of units can be encoded on its own, in any process, and yields exactly the bytes a whole
     * conversion writes there: the converter cluster produces each part of an output file this way.
     */
    public static byte[] encodeUnits(TensorPlan tensor, long firstUnit, int units) {
        return encode(unitsChunk(tensor, firstUnit, units));
    }

    private static Chunk unitsChunk(TensorPlan tensor, long firstUnit, int units) {
        long unit = unitLength(tensor);
        int elements = Math.toIntExact(units * unit);
        long first = firstUnit * unit;
        if (units < 0 || first < 0 || first + elements > tensor.elementCount()) {
            throw new IndexOutOfBoundsException("units " + firstUnit + "+" + units + " outside tensor '"
                    + tensor.name() + "'");
        }
        return new Chunk(tensor, first, elements, tensor.type().isQuantized() ? units : 1,
                first + elements == tensor.elementCount());
    }

    /** Bytes of one unit of {@link #encodeUnits}: a row for quantized types, one element for float types. */
    public static long unitBytes(TensorPlan tensor) {
        return tensor.type().rowBytes(unitLength(tensor));
    }

    /** Encoded bytes and the error they carry against the source values. */
    public record Measured(byte[] bytes, QuantError error) {
    }

    /**
     * Like {@link #encodeUnits}, and also measures the quantization error: the encoded values dequantized back to
     * F32 against the source values as read (before any rounding through convert.py's intermediate type). The bytes
     * are exactly those of {@link #encodeUnits}.
     */
    public static Measured encodeUnitsMeasured(TensorPlan tensor, long firstUnit, int units) {
        return encodeMeasured(unitsChunk(tensor, firstUnit, units));
    }

    private static Measured encodeMeasured(Chunk c) {
        TensorPlan tensor = c.tensor();
        int elements = c.elements();
        if (elements == 0) return new Measured(new byte[0], QuantError.NONE);
        float[] source = scratch(MEASURE_SOURCE, elements);
        byte[] bytes = encode(c, source);
        float[] decoded = scratch(MEASURE_DECODED, elements);
        Quants.of(tensor.type()).dequantize(bytes, 0, decoded, 0, elements);
        return new Measured(bytes, QuantError.of(source, decoded, elements));
    }

    /** Reads, rounds and quantizes one chunk; runs on a worker. */
    private static byte[] encode(Chunk c) {
        return encode(c, null);
    }

    /** Encodes one chunk; when {@code sourceCopy} is given, it receives the source values as read. */
    private static byte[] encode(Chunk c, float[] sourceCopy) {
        if (c.elements() == 0) return new byte[0];
        TensorPlan t = c.tensor();
        float[] values = scratch(SCRATCH, c.elements());
        SourceTensor source = t.source();
        source.readFloats(c.firstElement(), values, 0, c.elements());
        if (sourceCopy != null) System.arraycopy(values, 0, sourceCopy, 0, c.elements());
        roundThroughIntermediate(t, source.dtype(), values, c.elements());
        if (t.type().isQuantized()) requireFinite(source.name(), c.firstElement(), values, c.elements());
        QuantFormat format = Quants.of(t.type());
        int rowLength = c.elements() / c.rows();
        byte[] out = new byte[Math.toIntExact(t.type().rowBytes(rowLength) * c.rows())];
        format.quantize(values, 0, out, 0, c.rows(), rowLength, null);
        return out;
    }

    /** This thread's buffer of {@code scratch}, grown to at least {@code n} floats. */
    private static float[] scratch(ThreadLocal<float[]> scratch, int n) {
        float[] values = scratch.get();
        if (values.length < n) {
            values = new float[n];
            scratch.set(values);
        }
        return values;
    }

    /**
     * A NaN or infinity makes a block's scale NaN or infinite; llama-quantize's row validation then rejects the
     * tensor, so such a model has no ggml quantization to match. Name the first bad value instead.
     */
    private static void requireFinite(String tensor, long firstElement, float[] v, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException("tensor '" + tensor + "' has the value " + v[i] + " at element "
                        + (firstElement + i) + "; a model with NaN or infinite weights cannot be quantized");
            }
        }
    }

    /**
     * llama-quantize reads convert.py's file, so a tensor convert.py stored in F16 (or BF16) is quantized from those
     * rounded values. Only an F32 source can lose bits here: F16, BF16 and float8 sources are exact in the type
     * convert.py gives them. For float outputs the intermediate is the output type, which rounds anyway.
     */
    private static void roundThroughIntermediate(TensorPlan t, Dtype sourceType, float[] v, int n) {
        if (sourceType != Dtype.F32 || t.intermediate() == GgmlType.F32 || t.intermediate() == t.type()) return;
        if (t.intermediate() == GgmlType.F16) {
            for (int i = 0; i < n; i++) v[i] = Numerics.fp16ToFp32(Numerics.fp32ToFp16(v[i]));
        } else if (t.intermediate() == GgmlType.BF16) {
            for (int i = 0; i < n; i++) v[i] = Numerics.bf16ToFp32(Numerics.fp32ToBf16(v[i]));
        } else {
            throw new IllegalStateException("unexpected intermediate type " + t.intermediate());
        }
    }

    /**
     * A piece of one tensor: {@code rows} rows of equal length starting at {@code firstElement}. For float output
     * types a "row" is just the chunk itself, as those types have no blocks.
     */
    record Chunk(TensorPlan tensor, long firstElement, int elements, int rows, boolean lastOfTensor) {
    }

    /** The chunks of all tensors, in file order. */
    private static final class ChunkIterator implements Iterator<Chunk> {
        private final List<TensorPlan> tensors;
        private int tensor;
        private long next;

        ChunkIterator(List<TensorPlan> tensors) {
            this.tensors = tensors;
        }

        @Override
        public boolean hasNext() {
            return tensor < tensors.size();
        }

        @Override
        public Chunk next() {
            if (!hasNext()) throw new NoSuchElementException();
            TensorPlan t = tensors.get(tensor);
            long total = t.elementCount();
            Chunk c;
            if (total == 0) {
                c = new Chunk(t, 0, 0, 0, true);
            } else {
                long unit = unitLength(t);
                long units = Math.min(Math.max(1, CHUNK_ELEMENTS / unit), (total - next) / unit);
                int elements = Math.toIntExact(units * unit);
                c = new Chunk(t, next, elements, t.type().isQuantized() ? (int) units : 1, next + elements == total);
                next += elements;
            }
            if (c.lastOfTensor()) {
                tensor++;
                next = 0;
            }
            return c;
        }
    }

    /**
     * Elements of the smallest piece a tensor can be encoded in: quantized types are cut at whole rows, float types
     * anywhere (in units of one element).
     */
    public static long unitLength(TensorPlan t) {
        return t.type().isQuantized() ? t.rowLength() : 1;
    }

    /** The largest encoded chunk, to size the in-flight window. */
    private static long maxChunkBytes(List<TensorPlan> tensors) {
        long max = 1;
        for (TensorPlan t : tensors) {
            if (t.elementCount() == 0) continue;
            long unit = unitLength(t);
            long units = Math.max(1, CHUNK_ELEMENTS / unit);
            max = Math.max(max, units * t.type().rowBytes(unit));
        }
        return max;
    }
    private static void checkSupported(ConversionPlan plan) {
        List<GgmlType> missing = new ArrayList<>();
        for (TensorPlan t : plan.tensors()) {
            if (!Quants.supports(t.type()) && !missing.contains(t.type())) missing.add(t.type());
        }
        if (!missing.isEmpty()) {
            throw new ConversionException("QuantHub cannot write " + missing + " yet (supported: "
                    + Quants.supported() + ")");
        }
    }

    /**
     * Fails when the output exists and this converter does not overwrite; callers may check early, before planning.
     * {@link #write} checks again before it renames.
     */
    public void refuseExisting(Path target) throws FileAlreadyExistsException {
        if (!overwrite && Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "output exists (use --force to replace it)");
        }
    }

    /** Makes the rename durable; not every platform can open a directory, so this is best effort. */
    private static void forceDirectory(Path dir) {
        if (dir == null) return;
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // The data itself is already forced; only the directory entry's durability is at stake.
        }
    }

    /**
     * Deletes the temporary file when the JVM shuts down mid-conversion (Ctrl-C), and makes the final rename and a
     * cancellation mutually exclusive: either the rename happens and the output is complete, or the file is deleted.
     */
    private static final class TempFileGuard {
        final Thread hook;
        final CountDownLatch finished = new CountDownLatch(1);
        private boolean cancelled;

        TempFileGuard(Path temp, Thread converting) {
            this.hook = new Thread(() -> {
                synchronized (this) {
                    cancelled = true;
                }
                converting.interrupt();
                try {
                    // Let the converting thread clean up; it may be in the middle of a write.
                    finished.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // Nothing more can be done while the JVM exits.
                }
            }, "quanthub-convert-cleanup");
        }

        synchronized boolean cancelled() {
            return cancelled;
        }

        /** Runs the rename unless the conversion was cancelled. */
        synchronized void commit(IoAction rename) throws IOException {
            if (cancelled) throw new InterruptedIOException("conversion interrupted");
            rename.run();
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }
}
