package io.quanthub.cli.pull;

import io.quanthub.cli.cache.AtomicFiles;
import io.quanthub.hub.api.ApiJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which parts of a download are finished: the {@code <blob>.parts.json} file next to the {@code <blob>.partial}
 * data file. It names the file it belongs to (size, sha256, part size), so state left by another download is never
 * mistaken for this one, and it is replaced atomically after each finished part, so a process killed at any moment
 * leaves a state that is true: every part it lists has all its bytes in the partial file.
 */
final class PartState {
    /** The file's form; {@code done} lists the finished parts' indexes. */
    private record Saved(long size, String sha256, long partSize, List<Long> done) {}

    private final Path file;
    private final long size;
    private final String sha256;
    private final PartPlan plan;
    private final BitSet done;

    private PartState(Path file, long size, String sha256, PartPlan plan, BitSet done) {
        this.file = file;
        this.size = size;
        this.sha256 = sha256;
        this.plan = plan;
        this.done = done;
    }

    /** A state with no finished parts (not yet written). */
    static PartState fresh(Path file, String sha256, PartPlan plan) {
        return new PartState(file, plan.size(), sha256, plan, new BitSet());
    }

    /**
     * The saved state when it exists and belongs to the same download ({@code sha256} and {@code plan}); null
     * otherwise, also when it cannot be read (a partial download is only an optimisation, never an error).
     */
    static PartState load(Path file, String sha256, PartPlan plan) {
        if (!Files.isRegularFile(file)) return null;
        try {
            Saved saved = ApiJson.read(Files.readString(file), Saved.class, "download state " + file);
            if (saved.size() != plan.size() || saved.partSize() != plan.partSize() || !sha256.equals(saved.sha256())
                    || saved.done() == null) {
                return null;
            }
            BitSet done = new BitSet();
            for (long i : saved.done()) {
                if (i < 0 || i >= plan.count()) return null;
                done.set((int) i);
            }
            return new PartState(file, plan.size(), sha256, plan, done);
        } catch (IOException | RuntimeException unreadable) {
            return null;
        }
    }

    synchronized boolean isDone(int part) {
        return done.get(part);
    }

    synchronized int doneCount() {
        return done.cardinality();
    }

    synchronized long doneBytes() {
        long bytes = 0;
        for (int i = done.nextSetBit(0); i >= 0; i = done.nextSetBit(i + 1)) bytes += plan.length(i);
        return bytes;
    }

    /** Records a finished part and saves the state; the part's bytes must already be on disk. */
    synchronized void markDone(int part) throws IOException {
        done.set(part);
        save();
    }

    synchronized void save() throws IOException {
        List<Long> parts = new ArrayList<>();
        for (int i = done.nextSetBit(0); i >= 0; i = done.nextSetBit(i + 1)) parts.add((long) i);
        AtomicFiles.writeString(file, ApiJson.writeString(new Saved(size, sha256, plan.partSize(), parts)) + "\n");
    }
}
