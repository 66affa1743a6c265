package io.quanthub.hub;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Each caller's share of the hub's upload slots: at most {@link HubConfig#maxUploadsPerUser()} uploads of one caller
 * run at a time, so that the rest of the {@link HubConfig#maxConcurrentUploads()} slots stay free for other users,
 * whatever one user (or one user's slow connections) does. An upload over the share is refused at once with 429
 * rather than queued: a queued upload would hold its connection and its client without progress, and the client
 * can retry as soon as one of its uploads has finished. Counts are per hub process.
 *
 * <p>A slow client still holds its worker thread and its storage part buffers for as long as it sends. Virtual
 * threads would free the thread but not the buffers, which are what the total slot count bounds; so a slow upload
 * keeps its slot, and fairness comes from this share and from the idle-body timeout, which ends an upload whose
 * client has stopped sending.
 */
final class UploadSlots {
    /** One upload's share; {@link #close()} gives it back (once, however often it is called). */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    private final int perUser;
    private final Map<String, Integer> running = new HashMap<>(); // guarded by this

    UploadSlots(int perUser) {
        this.perUser = perUser;
    }

    /** Takes a share for an upload by {@code user}; 429 when the user already runs as many as it may. */
    Slot acquire(String user) {
        synchronized (this) {
            int now = running.getOrDefault(user, 0);
            if (now >= perUser) {
                throw new ApiException(429, user + " already runs " + now + " uploads, the most one user may run at"
                        + " a time; retry when one has finished");
            }
            running.put(user, now + 1);
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) release(user);
        };
    }

    private synchronized void release(String user) {
        running.computeIfPresent(user, (name, n) -> n == 1 ? null : n - 1);
    }
}
