package io.quanthub.cli.pull;

/**
 * A file of {@code size} bytes cut into parts of {@code partSize} bytes (the last one shorter), each fetched with
 * one ranged GET and recorded as finished on its own, so an interrupted download only refetches unfinished parts.
 */
public record PartPlan(long size, long partSize) {
    public PartPlan {
        if (size < 0) throw new IllegalArgumentException("negative file size " + size);
        if (partSize <= 0) throw new IllegalArgumentException("part size must be positive: " + partSize);
    }

    public int count() {
        long n = (size + partSize - 1) / partSize;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("too many parts: " + n);
        return (int) n;
    }

    public long start(int part) {
        return part * partSize;
    }

    public long length(int part) {
        return Math.min(partSize, size - start(part));
    }

    /** The inclusive last byte, as an HTTP Range header names it. */
    public long end(int part) {
        return start(part) + length(part) - 1;
    }
}
