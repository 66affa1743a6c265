package io.quanthub.cli.pull;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.HubException;
import io.quanthub.cli.hub.Sha256;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one file into a content-addressed blob, in parallel parts that survive a killed process.
 *
 * <p>The steps, after ollama's {@code server/download.go}:
 * <ol>
 * <li>{@link #head HEAD} gives size, sha256 ({@code ETag}) and commit.
 * <li>A free-space check, then a preallocated (sparse) {@code <blob>.partial} file, locked so that two processes
 *     never write the same download.
 * <li>{@code connections} workers take parts from a queue; each fetches its part with a ranged GET and writes the
 *     bytes at their offset (positional writes, so parts finish in any order). Each GET carries
 *     {@code If-Range: "<sha256>"} and an answer with another ETag is refused, so a file that changed on the hub
 *     is never spliced from two versions. A part that fails is retried from
 *     the byte it stopped at, with exponential backoff; a connection that delivers nothing for
 *     {@code stallTimeout} is closed by the {@link StallWatchdog} and retried the same way.
 * <li>After each finished part its bytes are forced to disk and {@code <blob>.parts.json} records it
 *     ({@link PartState}), so a rerun after a crash or {@code kill -9} fetches only the unfinished parts.
 * <li>When all parts are in, the whole file is hashed; only a file whose sha256 matches is renamed to the blob
 *     name, so a blob in the cache is always complete and verified. A mismatch discards the download.
 * </ol>
 */
public final class Downloader {
    public static final long DEFAULT_PART_SIZE = 32L << 20;
    private static final int BUFFER = 256 << 10;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /**
     * @param connections  parallel ranged GETs per file
     * @param partSize     bytes per part; also the unit of resumption
     * @param stallTimeout a connection that delivers no bytes for this long is closed and retried
     * @param maxAttempts  consecutive attempts without progress before a part (and the download) fails
     * @param firstBackoff wait before the first retry; doubled for each further one, up to 30 s
     */
    public record Settings(int connections, long partSize, Duration stallTimeout, int maxAttempts,
                           Duration firstBackoff) {
        public Settings {
            if (connections < 1 || connections > 64) {
                throw new IllegalArgumentException("connections must be 1 to 64, not " + connections);
            }
            if (partSize < 1) throw new IllegalArgumentException("part size must be positive: " + partSize);
            if (stallTimeout.isNegative() || stallTimeout.isZero()) {
                throw new IllegalArgumentException("stall timeout must be positive: " + stallTimeout);
            }
            if (maxAttempts < 1) throw new IllegalArgumentException("max attempts must be positive: " + maxAttempts);
        }

        /** 32 MiB parts, 30 s stall timeout, 6 attempts, backoff from 1 s. */
        public static Settings defaults(int connections) {
            return new Settings(connections, DEFAULT_PART_SIZE, Duration.ofSeconds(30), 6, Duration.ofSeconds(1));
        }
    }

    /** What a download reports while it runs; called from several threads. */
    public interface Listener {
        Listener NONE = bytes -> {};

        /** {@code bytes} more are on disk (a resumed download first reports the bytes it already had). */
        void received(long bytes);

        /** {@code bytes} more of the finished file were hashed. */
        default void verified(long bytes) {}
    }

    private final HttpClient http;
    private final String authorization;
    private final Settings settings;

    /**
     * @param authorization the {@code Authorization} header value, or null
     */
    public Downloader(HttpClient http, String authorization, Settings settings) {
        this.http = http;
        this.authorization = authorization;
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    public static Path partialFile(Path blob) {
        return blob.resolveSibling(blob.getFileName() + ".partial");
    }

    public static Path stateFile(Path blob) {
        return blob.resolveSibling(blob.getFileName() + ".parts.json");
    }

    /** {@code HEAD uri}: size ({@code X-Linked-Size} or {@code Content-Length}), sha256 ({@code ETag}), commit. */
    public RemoteFile head(URI uri) throws IOException {
        String what = "HEAD " + uri.getRawPath();
        HttpRequest request = request(uri)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(settings.stallTimeout())
                .build();
        HttpResponse<Void> response = HubClient.send(http, request, HttpResponse.BodyHandlers.discarding(), what);
        if (response.statusCode() != 200) throw HubException.of(response.statusCode(), null, what);
        var headers = response.headers();
        String size = headers.firstValue("X-Linked-Size").or(() -> headers.firstValue("Content-Length"))
                .orElseThrow(() -> new IOException(what + ": the answer has no X-Linked-Size or Content-Length"));
        String etag = headers.firstValue("ETag")
                .orElseThrow(() -> new IOException(what + ": the answer has no ETag, so the file cannot be verified"));
        long bytes;
        try {
            bytes = Long.parseLong(size.strip());
        } catch (NumberFormatException e) {
            throw new IOException(what + ": bad size '" + size + "'");
        }
        return new RemoteFile(uri, bytes, etagSha256(etag, what), headers.firstValue("X-Repo-Commit").orElse(null));
    }

    /** The sha256 in an ETag: {@code "<hex>"}, also accepted weak ({@code W/}) or {@code sha256:}-prefixed. */
    static String etagSha256(String etag, String what) {
        String v = etag.strip();
        if (v.startsWith("W/")) v = v.substring(2);
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
        return Sha256.parse(v, "ETag of " + what);
    }

    /**
     * Downloads {@code file} to {@code blob} unless the blob already exists. On failure the partial download stays
     * for the next attempt to resume, except after a sha256 mismatch, which discards it.
     */
    @SuppressWarnings("try") // the lock is only held, for the whole block
    public void download(RemoteFile file, Path blob, Listener listener) throws IOException {
        Path partial = partialFile(blob);
        Path statePath = stateFile(blob);
        if (Files.exists(blob)) {
            Files.deleteIfExists(statePath); // left by a process killed between its rename and this cleanup
            return;
        }
        String name = blob.getFileName().toString();
        PartPlan plan = new PartPlan(file.size(), settings.partSize());
        // The space check comes first so that a refused download leaves nothing behind. The state read here only
        // sizes the check; it is read again under the lock below.
        PartState saved = PartState.load(statePath, file.sha256(), plan);
        DiskSpace.require(blob.getParent(), file.size() - (saved == null ? 0 : saved.doneBytes()),
                "downloading " + file.uri().getRawPath());

        Files.createDirectories(blob.getParent());
        try (RandomAccessFile raf = new RandomAccessFile(partial.toFile(), "rw");
             FileChannel ch = raf.getChannel();
             FileLock lock = lock(ch, partial)) {
            if (Files.exists(blob)) {
                // Another process finished it while this one waited to open the partial file (just created anew).
                Files.deleteIfExists(partial);
                return;
            }
            PartState state = PartState.load(statePath, file.sha256(), plan);
            if (state == null || raf.length() != file.size()) {
                state = PartState.fresh(statePath, file.sha256(), plan);
                // A sparse file of the final size: each part is written at its offset, disk blocks are taken as
                // the bytes arrive.
                raf.setLength(0);
                raf.setLength(file.size());
                state.save();
            }
            listener.received(state.doneBytes());
            fetchParts(file, plan, state, ch, listener);

            ch.force(true);
            String actual = Sha256.hex(ch, listener::verified);
            if (!actual.equals(file.sha256())) {
                // Every part passed its range checks, yet the bytes are wrong: nothing in the partial file can be
                // trusted, so it goes, and the blob never appears.
                Files.deleteIfExists(partial);
                Files.deleteIfExists(statePath);
                throw new IOException("sha256 mismatch for " + file.uri().getRawPath() + ": expected "
                        + file.sha256() + ", got " + actual + "; the download was discarded");
            }
            // Renamed while still locked (allowed on POSIX), so no other process can pick the partial file up.
            Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
            Files.deleteIfExists(statePath);
            if (!blob.toFile().setReadOnly()) {
                throw new IOException("cannot make " + name + " read-only");
            }
        }
    }

    private static FileLock lock(FileChannel ch, Path partial) throws IOException {
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new IOException("another download is writing " + partial + "; wait for it to finish or stop it");
        }
        return lock;
    }

    /** Fetches every unfinished part with {@code connections} workers; the first part that fails stops the rest. */
    private void fetchParts(RemoteFile file, PartPlan plan, PartState state, FileChannel ch, Listener listener)
            throws IOException {
        ConcurrentLinkedQueue<Integer> queue = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < plan.count(); i++) {
            if (!state.isDone(i)) queue.add(i);
        }
        if (queue.isEmpty()) return;
        int workers = Math.min(settings.connections(), queue.size());
        AtomicReference<IOException> failure = new AtomicReference<>();
        AtomicInteger threadNumber = new AtomicInteger();
        try (StallWatchdog watchdog = new StallWatchdog(settings.stallTimeout());
             ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
                 Thread t = new Thread(r, "quanthub-download-" + threadNumber.incrementAndGet());
                 t.setDaemon(true);
                 return t;
             })) {
            for (int w = 0; w < workers; w++) {
                pool.execute(() -> {
                    Integer part;
                    while (failure.get() == null && (part = queue.poll()) != null) {
                        try {
                            fetchPart(file, plan, part, ch, watchdog, listener);
                            ch.force(false); // the part's bytes reach the disk before the state claims them
                            state.markDone(part);
                        } catch (IOException | RuntimeException e) {
                            IOException io = e instanceof IOException ioe ? ioe : new IOException(e.toString(), e);
                            if (failure.compareAndSet(null, io)) watchdog.abortAll();
                            return;
                        }
                    }
                });
            }
        } // closing the pool waits for the workers
        if (failure.get() != null) {
            IOException e = failure.get();
            throw new IOException("download of " + file.uri().getRawPath() + " stopped: " + e.getMessage() + " ("
                    + state.doneCount() + " of " + plan.count() + " parts kept; run the command again to resume)", e);
        }
    }

    /** The next byte a part still needs, and its last byte. */
    private static final class Cursor {
        long next;
        final long end;

        Cursor(long next, long end) {
            this.next = next;
            this.end = end;
        }
    }

    /** A failure worth retrying: the network, a stall, a 5xx, 408 or 429. Disk and protocol errors are not. */
    private static final class RetryableException extends IOException {
        RetryableException(String message) {
            super(message);
        }
    }

    private void fetchPart(RemoteFile file, PartPlan plan, int part, FileChannel ch, StallWatchdog watchdog,
                           Listener listener) throws IOException {
        Cursor cursor = new Cursor(plan.start(part), plan.end(part));
        int fruitless = 0;
        while (true) {
            long before = cursor.next;
            try {
                transfer(file, cursor, ch, watchdog, listener);
                return;
            } catch (RetryableException e) {
                // Only attempts in a row that brought nothing count: a slow but moving transfer goes on.
                fruitless = cursor.next > before ? 1 : fruitless + 1;
                if (fruitless >= settings.maxAttempts()) {
                    throw new IOException("part " + part + " (bytes " + plan.start(part) + "-" + plan.end(part)
                            + "): " + e.getMessage() + ", " + fruitless + " attempts in a row", e);
                }
                sleep(backoff(fruitless));
            }
        }
    }

    private Duration backoff(int failures) {
        Duration d = settings.firstBackoff().multipliedBy(1L << Math.min(failures - 1, 20));
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    private static void sleep(Duration d) throws InterruptedIOException {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    /** One ranged GET from {@code cursor.next} to {@code cursor.end}, advancing the cursor as bytes are written. */
    private void transfer(RemoteFile file, Cursor cursor, FileChannel ch, StallWatchdog watchdog, Listener listener)
            throws IOException {
        HttpRequest request = request(file.uri())
                .header("Range", "bytes=" + cursor.next + "-" + cursor.end)
                // Only while the hub still has this version: else it answers the whole (other) file, which
                // checkResponse refuses, instead of a range of it that would be spliced onto this version's bytes.
                .header("If-Range", "\"" + file.sha256() + "\"")
                .timeout(settings.stallTimeout()) // until the headers arrive; the watchdog covers the body
                .GET()
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (IOException e) {
            throw new RetryableException("request failed: " + message(e));
        }
        try (InputStream body = response.body(); StallWatchdog.Watch watch = watchdog.watch(body)) {
            checkResponse(file, cursor, response, body);
            byte[] buf = new byte[BUFFER];
            while (cursor.next <= cursor.end) {
                int n;
                try {
                    n = body.read(buf, 0, (int) Math.min(buf.length, cursor.end - cursor.next + 1));
                } catch (IOException e) {
                    if (watch.aborted()) throw new IOException("stopped: another part failed");
                    if (watch.stalled()) {
                        throw new RetryableException("no data for " + settings.stallTimeout().toSeconds() + " s");
                    }
                    throw new RetryableException("connection lost: " + message(e));
                }
                if (n < 0) {
                    throw new RetryableException(
                            "connection closed " + (cursor.end - cursor.next + 1) + " bytes before the part's end");
                }
                watch.touch();
                // A write failure (disk full, I/O error) is not retried: it would only fail again.
                ByteBuffer bytes = ByteBuffer.wrap(buf, 0, n);
                long pos = cursor.next;
                while (bytes.hasRemaining()) pos += ch.write(bytes, pos);
                cursor.next += n;
                listener.received(n);
            }
        }
    }

    /** The answer must be the requested range of the same file; anything else is an error, some retryable. */
    private static void checkResponse(RemoteFile file, Cursor cursor, HttpResponse<InputStream> response,
                                      InputStream body) throws IOException {
        int status = response.statusCode();
        String what = "GET " + file.uri().getRawPath();
        if (status == 408 || status == 429 || status >= 500) throw new RetryableException(what + ": HTTP " + status);
        if (status != 200 && status != 206) {
            String error = new String(body.readNBytes(64 << 10), StandardCharsets.UTF_8);
            throw HubException.of(status, error, what);
        }
        var etag = response.headers().firstValue("ETag");
        if (etag.isPresent() && !etagSha256(etag.get(), what).equals(file.sha256())) {
            throw new IOException(what + ": the file changed on the hub during the download (sha256 now "
                    + etagSha256(etag.get(), what) + ", was " + file.sha256() + ")");
        }
        if (status == 200) {
            // A server that ignores Range sends the whole file: usable only when the whole file was asked for.
            if (cursor.next != 0 || cursor.end != file.size() - 1) {
                throw new IOException(what + ": the server ignored the Range header (HTTP 200 for bytes "
                        + cursor.next + "-" + cursor.end + ")");
            }
            return;
        }
        String contentRange = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(contentRange);
        if (!m.matches() || Long.parseLong(m.group(1)) != cursor.next || Long.parseLong(m.group(2)) != cursor.end) {
            throw new IOException(what + ": asked for bytes " + cursor.next + "-" + cursor.end
                    + ", got Content-Range '" + contentRange + "'");
        }
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .header("User-Agent", HubClient.USER_AGENT)
                .header("Accept-Encoding", "identity");
        if (authorization != null) b.header("Authorization", authorization);
        return b;
    }

    private static String message(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
