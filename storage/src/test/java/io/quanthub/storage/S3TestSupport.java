package io.quanthub.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs each test class against a real S3 server: {@link EmbeddedS3} (S3Proxy, filesystem backend) on 127.0.0.1
 * with its data in a temporary folder, and a fresh bucket for every test.
 */
abstract class S3TestSupport {
    static final int PART = StorageOptions.MIN_PART_SIZE; // 5 MiB keeps multipart tests small
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @TempDir
    static Path dataDir;
    static EmbeddedS3 server;

    final MutableClock clock = new MutableClock();
    HubStorage storage;

    @BeforeAll
    static void startServer() {
        server = EmbeddedS3.start(dataDir);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void openStorage() {
        StorageOptions options = StorageOptions.defaults().withPartSize(PART).withMaxCopyPart(PART).withClock(clock);
        storage = HubStorage.open(server.settings("test-" + BUCKETS.incrementAndGet()), options);
    }

    @AfterEach
    void closeStorage() {
        storage.close();
    }

    ObjectStore objects() {
        return storage.objects();
    }

    List<String> keys(String prefix) {
        return objects().list(prefix).map(ObjectStore.ObjectInfo::key).toList();
    }

    static String sha256Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static byte[] randomBytes(long seed, int length) {
        byte[] data = new byte[length];
        new SplittableRandom(seed).nextBytes(data);
        return data;
    }

    /**
     * Serves {@code data} the way a network upload does: no known length, reads of uneven size; optionally
     * throws after {@code failAfter} bytes.
     */
    static class UploadStream extends InputStream {
        private final byte[] data;
        private final long failAfter;
        private final SplittableRandom chunks = new SplittableRandom(7);
        int position;

        UploadStream(byte[] data) {
            this(data, Long.MAX_VALUE);
        }

        UploadStream(byte[] data, long failAfter) {
            this.data = data;
            this.failAfter = failAfter;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException("uploads are read in blocks");
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (position >= failAfter) throw new IOException("connection reset by peer");
            if (position == data.length) return -1;
            int n = Math.min(Math.min(len, 1 + chunks.nextInt(70_000)), data.length - position);
            n = (int) Math.min(n, failAfter - position);
            System.arraycopy(data, position, b, off, n);
            position += n;
            return n;
        }
    }

    /** A clock the test moves by hand, so lease expiry and blob age need no waiting. */
    static final class MutableClock extends Clock {
        private volatile Duration offset = Duration.ZERO;
        private volatile Runnable onRead;
        private final java.util.concurrent.atomic.AtomicInteger readsLeft = new java.util.concurrent.atomic.AtomicInteger();

        void advance(Duration by) {
            offset = offset.plus(by);
        }

        /** Runs {@code action} once, on the {@code nth} next read of the clock: a deterministic point in an operation. */
        void onRead(int nth, Runnable action) {
            onRead = action;
            readsLeft.set(nth);
        }

        @Override
        public Instant instant() {
            Runnable action = onRead;
            if (action != null && readsLeft.decrementAndGet() == 0) {
                onRead = null;
                action.run();
            }
            return Instant.now().plus(offset);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
