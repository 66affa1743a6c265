package io.quanthub.hub;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * A request body as a blocking {@link InputStream}, for storage code on a worker thread. The event loop writes the
 * body into it as a {@link WriteStream} (the request is piped here); the worker reads it. At most
 * {@code highWater} bytes wait in between: above that {@link #writeQueueFull()} makes the pipe pause the request,
 * and the worker resumes it once it has read half of them, so memory stays bounded however large the upload and
 * however slow storage is.
 *
 * <p>If the request fails (the client disconnected) the worker's next read throws, so the storage upload aborts.
 * Once the worker stops reading ({@link #close()}: done, past the size limit, or never started because the upload
 * was refused), the rest of the body is read and dropped, so the client gets to read the answer; past
 * {@code discardLimit} dropped bytes {@code onDiscardLimit} runs (it closes the connection: nobody should upload
 * gigabytes into the void).
 *
 * <p>{@link #idleNanos} tells how long the client has sent nothing while the hub was ready to take bytes (time the
 * request spends paused because the reader is behind is not the client's idleness), for the idle-body timeout.
 */
final class BodyInputStream extends InputStream implements WriteStream<Buffer> {
    private final Context context;
    private final long discardLimit;
    private final Runnable onDiscardLimit;
    private int highWater;

    // Guarded by this.
    private final ArrayDeque<Buffer> chunks = new ArrayDeque<>();
    private long queued;
    private boolean full;
    private boolean ended;
    private boolean closed;
    private Throwable failure;
    private Handler<Void> drainHandler;
    private long discarded;
    /** When the client last sent bytes, or the hub last asked for more (a resume after a full queue). */
    private long lastProgressNanos = System.nanoTime();

    // Only touched by the reading thread.
    private Buffer current;
    private int position;

    /** {@code context} is the request's event loop, where the drain handler and {@code onDiscardLimit} run. */
    BodyInputStream(Context context, int highWater, long discardLimit, Runnable onDiscardLimit) {
        this.context = context;
        this.highWater = highWater;
        this.discardLimit = discardLimit;
        this.onDiscardLimit = onDiscardLimit;
    }

    // ---- the event loop's side ----------------------------------------------------------------------------------

    @Override
    public Future<Void> write(Buffer data) {
        boolean overLimit;
        synchronized (this) {
            if (ended || failure != null) return Future.failedFuture("write after the end of the body");
            if (!closed) {
                if (data.length() > 0) { // a reader must never be handed an empty chunk
                    lastProgressNanos = System.nanoTime();
                    chunks.add(data);
                    queued += data.length();
                    if (queued >= highWater) full = true;
                    notifyAll();
                }
                return Future.succeededFuture();
            }
            boolean wasUnder = discarded <= discardLimit;
            discarded += data.length();
            overLimit = wasUnder && discarded > discardLimit;
        }
        if (overLimit) onDiscardLimit.run();
        return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> end() {
        ended = true;
        notifyAll();
        return Future.succeededFuture();
    }

    /** The request failed: the reader's next read throws an IOException with this cause. */
    synchronized void fail(Throwable cause) {
        if (failure == null && !ended) failure = cause;
        notifyAll();
    }

    /**
     * How long the body has been waiting for the client at {@code now} ({@link System#nanoTime()}): 0 while the
     * queue is full (the hub paused the request), after the end, and once the reader is done or the request failed.
     */
    synchronized long idleNanos(long now) {
        if (full || ended || closed || failure != null) return 0;
        return now - lastProgressNanos;
    }

    @Override
    public synchronized boolean writeQueueFull() {
        return full && !closed;
    }

    @Override
    public synchronized BodyInputStream setWriteQueueMaxSize(int maxSize) {
        highWater = maxSize;
        return this;
    }

    /**
     * A pipe sets this right after it saw the queue full and paused the request. The reader may have freed the queue
     * in between, before there was a handler to call: then it is called now, else the request would stay paused for
     * good (a spurious call only resumes a request that is not paused).
     */
    @Override
    public BodyInputStream drainHandler(Handler<Void> handler) {
        boolean alreadyDrained;
        synchronized (this) {
            drainHandler = handler;
            alreadyDrained = handler != null && !full;
        }
        if (alreadyDrained) context.runOnContext(v -> handler.handle(null));
        return this;
    }

    @Override
    public BodyInputStream exceptionHandler(Handler<Throwable> handler) {
        return this; // writes never fail asynchronously
    }

    // ---- the worker's side --------------------------------------------------------------------------------------

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (current == null || position == current.length()) {
            current = next();
            position = 0;
            if (current == null) return -1;
        }
        int n = Math.min(len, current.length() - position);
        current.getBytes(position, position + n, b, off);
        position += n;
        consumed(n);
        return n;
    }

    /** The next chunk, waiting for the event loop; null at the end of the body. */
    private synchronized Buffer next() throws IOException {
        while (true) {
            if (closed) throw new IOException("upload stream closed");
            Buffer chunk = chunks.poll();
            if (chunk != null) return chunk;
            if (failure != null) throw new IOException("the upload was interrupted: " + failure.getMessage(), failure);
            if (ended) return null;
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the upload");
            }
        }
    }

    /** Counts bytes read; resumes the request once half the high-water mark is free again. */
    private void consumed(int n) {
        Handler<Void> drain = null;
        synchronized (this) {
            queued -= n;
            if (full && queued <= highWater / 2) {
                full = false;
                lastProgressNanos = System.nanoTime(); // the client's idle time starts when it may send again
                drain = drainHandler;
            }
        }
        if (drain != null) {
            Handler<Void> handler = drain;
            context.runOnContext(v -> handler.handle(null));
        }
    }

    /**
     * The reader is done (finished or failed): drop what is queued and everything written from now on. A pipe
     * paused on a full queue is resumed.
     */
    @Override
    public void close() {
        Handler<Void> drain;
        synchronized (this) {
            if (closed) return;
            closed = true;
            chunks.clear();
            queued = 0;
            drain = full ? drainHandler : null;
            full = false;
            notifyAll();
        }
        if (drain != null) context.runOnContext(v -> drain.handle(null));
    }
}
