package io.quanthub.hub;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;

/**
 * A blocking {@link InputStream} (an S3 object body) as a Vert.x {@link ReadStream}, so that
 * {@code stream.pipeTo(response)} sends it with backpressure: one chunk is read on a worker thread at a time, and
 * only while the consumer wants more, so a slow client never makes the hub buffer a file.
 *
 * <p>The input is opened lazily on the first read (opening blocks too) and closed at the end, on failure and on
 * {@link #cancel()}. All state lives on the stream's context.
 */
final class InputStreamReadStream implements ReadStream<Buffer> {
    static final int CHUNK = 256 << 10;

    private final Context context;
    private final Callable<InputStream> opener;
    private final IntConsumer onChunk;

    /** Set on a worker by the first read, closed from the context. */
    private volatile InputStream in;
    private long demand = Long.MAX_VALUE;
    /** A chunk read while the stream was paused, handed on at the next fetch. */
    private Buffer pending;
    private boolean reading;
    private boolean done;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;

    /** {@code onChunk} is told the size of every chunk handed on (for metrics). */
    InputStreamReadStream(Context context, Callable<InputStream> opener, IntConsumer onChunk) {
        this.context = context;
        this.opener = opener;
        this.onChunk = onChunk;
    }

    @Override
    public InputStreamReadStream handler(Handler<Buffer> handler) {
        this.handler = handler;
        if (handler != null) fetch(0);
        return this;
    }

    @Override
    public InputStreamReadStream endHandler(Handler<Void> handler) {
        this.endHandler = handler;
        return this;
    }

    @Override
    public InputStreamReadStream exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        return this;
    }

    @Override
    public InputStreamReadStream pause() {
        demand = 0;
        return this;
    }

    @Override
    public InputStreamReadStream resume() {
        return fetch(Long.MAX_VALUE);
    }

    @Override
    public InputStreamReadStream fetch(long amount) {
        demand = amount == Long.MAX_VALUE || demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
        if (pending != null && demand > 0 && handler != null) {
            Buffer chunk = pending;
            pending = null;
            deliver(chunk);
        }
        readMore();
        return this;
    }

    /** Stops reading and closes the input (the client went away). */
    void cancel() {
        if (done) return;
        done = true;
        closeInput();
    }

    private void readMore() {
        if (reading || done || demand == 0 || pending != null || handler == null) return;
        reading = true;
        context.<Buffer>executeBlocking(this::readChunk, false).onComplete(result -> {
            reading = false;
            if (done) { // cancelled while the read was in flight
                closeInput();
                return;
            }
            if (result.failed()) {
                done = true;
                closeInput();
                if (exceptionHandler != null) exceptionHandler.handle(result.cause());
            } else if (result.result() == null) {
                done = true;
                closeInput();
                if (endHandler != null) endHandler.handle(null);
            } else if (demand == 0 || handler == null) {
                pending = result.result(); // paused while the read was in flight
            } else {
                deliver(result.result());
                readMore();
            }
        });
    }

    private void deliver(Buffer chunk) {
        if (demand != Long.MAX_VALUE) demand--;
        onChunk.accept(chunk.length());
        handler.handle(chunk);
    }

    /** On a worker: the next chunk (up to {@link #CHUNK} bytes), or null at the end. */
    private Buffer readChunk() throws Exception {
        if (in == null) in = opener.call();
        // readNBytes into an array reads straight into it; readNBytes(int) would collect 16 KiB pieces and copy them
        // together, an extra copy of every byte served.
        byte[] bytes = new byte[CHUNK];
        int n = in.readNBytes(bytes, 0, CHUNK);
        if (n == 0) return null;
        return n == CHUNK ? Buffer.buffer(bytes) : Buffer.buffer(n).appendBytes(bytes, 0, n);
    }

    private void closeInput() {
        InputStream input = in;
        if (input == null) return;
        context.executeBlocking(() -> {
            try {
                input.close();
            } catch (IOException ignored) {
                // The transfer is over either way; a failing close cannot be reported to anyone.
            }
            return null;
        }, false);
    }
}
