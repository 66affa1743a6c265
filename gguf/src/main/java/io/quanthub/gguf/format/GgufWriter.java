package io.quanthub.gguf.format;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Streams a GGUF v3 file to disk without holding the model in memory. {@link #create} computes the
 * {@link GgufLayout} and writes the header; the caller then hands over the data of each tensor, in file order, in as
 * many chunks as it likes. The writer checks that every tensor gets exactly its byte count and pads after every
 * tensor, the last included, as ggml does.
 *
 * <pre>{@code
 * try (GgufWriter w = GgufWriter.create(path, metadata, specs)) {
 *     for (...) w.writeTensorData(bytes);
 * }
 * }</pre>
 * {@link #close()} fails if any tensor is incomplete. The file is written in place; callers wanting atomicity write to
 * a temporary name and rename.
 */
public final class GgufWriter implements AutoCloseable {
    private static final int BUFFER_BYTES = 1 << 20;

    private final FileChannel channel;
    private final GgufLayout layout;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    /** Index of the tensor being written; tensors().size() once all are written. */
    private int current;
    /** Bytes of the current tensor written so far. */
    private long written;
    private boolean closed;

    private GgufWriter(FileChannel channel, GgufLayout layout) {
        this.channel = channel;
        this.layout = layout;
    }

    /**
     * Creates (or truncates) {@code path} and writes the header of a file with these KVs and tensors.
     *
     * @throws IllegalArgumentException for metadata or tensors that cannot be stored (see {@link GgufLayout})
     */
    public static GgufWriter create(Path path, Map<String, GgufValue> metadata, List<TensorSpec> tensors)
            throws IOException {
        GgufLayout layout = GgufLayout.compute(metadata, tensors);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        GgufWriter writer = new GgufWriter(channel, layout);
        try {
            writer.put(ByteBuffer.wrap(layout.encodeHeader()));
            writer.skipEmptyTensors();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return writer;
    }

    public GgufLayout layout() {
        return layout;
    }

    /** The tensor whose data is expected next, or null when all tensors are written. */
    public TensorInfo currentTensor() {
        return current < layout.tensors().size() ? layout.tensors().get(current) : null;
    }

    /** Writes the next {@code len} bytes of tensor data. */
    public void writeTensorData(byte[] bytes, int off, int len) throws IOException {
        writeTensorData(ByteBuffer.wrap(bytes, off, len));
    }

    public void writeTensorData(byte[] bytes) throws IOException {
        writeTensorData(ByteBuffer.wrap(bytes));
    }

    /** Writes a memory segment (e.g. a tensor of another mapped file), in slices a ByteBuffer can address. */
    public void writeTensorData(MemorySegment data) throws IOException {
        for (long off = 0; off < data.byteSize(); off += 1 << 30) {
            writeTensorData(data.asSlice(off, Math.min(1 << 30, data.byteSize() - off)).asByteBuffer());
        }
    }

    /**
     * Writes the remaining bytes of {@code src} as the next bytes of the current tensor.
     *
     * @throws IllegalStateException when the chunk is longer than what is left of the current tensor, or all tensors
     *                               are already written
     */
    public void writeTensorData(ByteBuffer src) throws IOException {
        if (closed) throw new IllegalStateException("GGUF writer is closed");
        TensorInfo tensor = currentTensor();
        if (tensor == null) {
            if (!src.hasRemaining()) return;
            throw new IllegalStateException("all " + layout.tensors().size() + " tensors are written; "
                    + src.remaining() + " more bytes were given");
        }
        long left = tensor.byteSize() - written;
        if (src.remaining() > left) {
            throw new IllegalStateException("a chunk of " + src.remaining() + " bytes overruns tensor '"
                    + tensor.name() + "' (" + left + " of its " + tensor.byteSize() + " bytes left)");
        }
        written += src.remaining();
        put(src);
        if (written == tensor.byteSize()) {
            padTo(layout.fileOffset(tensor) + GgufLayout.alignUp(tensor.byteSize(), layout.alignment()));
            current++;
            written = 0;
            skipEmptyTensors();
        }
    }

    /**
     * Flushes and closes the file.
     *
     * @throws IllegalStateException if some tensor did not get all its data (the file is then incomplete)
     */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try (channel) {
            flush();
        }
        TensorInfo tensor = currentTensor();
        if (tensor != null) {
            throw new IllegalStateException("GGUF file closed incomplete: tensor '" + tensor.name() + "' got "
                    + written + " of " + tensor.byteSize() + " bytes (" + (layout.tensors().size() - current)
                    + " tensors missing)");
        }
    }

    /** Empty tensors have no data and no padding: move past them. */
    private void skipEmptyTensors() {
        while (currentTensor() != null && currentTensor().byteSize() == 0) current++;
    }

    private void padTo(long fileOffset) throws IOException {
        long pad = fileOffset - position();
        put(ByteBuffer.allocate(Math.toIntExact(pad)));
    }

    private long position() throws IOException {
        return channel.position() + buffer.position();
    }

    /** Copies small chunks into the buffer, writes large ones directly. */
    private void put(ByteBuffer src) throws IOException {
        if (src.remaining() >= BUFFER_BYTES) {
            flush();
            while (src.hasRemaining()) channel.write(src);
            return;
        }
        while (src.hasRemaining()) {
            if (!buffer.hasRemaining()) flush();
            int n = Math.min(src.remaining(), buffer.remaining());
            buffer.put(buffer.position(), src, src.position(), n);
            buffer.position(buffer.position() + n);
            src.position(src.position() + n);
        }
    }

    private void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) channel.write(buffer);
        buffer.clear();
    }
}
