package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The flow control between the event loop that writes an upload into {@link BodyInputStream} and the worker that
 * reads it, step by step in the order Vert.x's pipe calls it: write, writeQueueFull, pause, drainHandler.
 */
class BodyInputStreamTest {
    private static final int HIGH_WATER = 8;
    private final Vertx vertx = Vertx.vertx();
    private final Context context = vertx.getOrCreateContext();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    private BodyInputStream stream() {
        return new BodyInputStream(context, HIGH_WATER, 1 << 20, () -> {});
    }

    @Test
    void aDrainHandlerSetAfterTheReaderEmptiedTheQueueIsStillCalled() throws Exception {
        BodyInputStream body = stream();
        body.write(Buffer.buffer(new byte[HIGH_WATER]));
        assertTrue(body.writeQueueFull(), "the pipe sees the queue full and pauses the request");
        // The worker reads everything before the pipe gets to set its drain handler.
        assertEquals(HIGH_WATER, body.readNBytes(HIGH_WATER).length);
        assertFalse(body.writeQueueFull());
        CountDownLatch resumed = new CountDownLatch(1);
        body.drainHandler(v -> resumed.countDown());
        assertTrue(resumed.await(10, TimeUnit.SECONDS), "the paused request is resumed");
    }

    @Test
    void theDrainHandlerRunsOnceHalfTheQueueIsRead() throws Exception {
        BodyInputStream body = stream();
        CountDownLatch resumed = new CountDownLatch(1);
        body.write(Buffer.buffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}));
        assertTrue(body.writeQueueFull());
        body.drainHandler(v -> resumed.countDown());
        assertArrayEquals(new byte[] {1, 2, 3}, body.readNBytes(3));
        assertFalse(resumed.await(200, TimeUnit.MILLISECONDS), "6 of 8 bytes still queued: stays paused");
        assertTrue(body.writeQueueFull());
        assertArrayEquals(new byte[] {4, 5}, body.readNBytes(2));
        assertTrue(resumed.await(10, TimeUnit.SECONDS), "4 of 8 bytes queued: resumed");
        body.end();
        assertArrayEquals(new byte[] {6, 7, 8, 9}, body.readAllBytes());
    }
}
