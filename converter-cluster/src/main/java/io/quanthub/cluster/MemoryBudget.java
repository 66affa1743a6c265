package io.quanthub.cluster;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The heap a member lets its tasks use at once. A worker reserves a task's estimate before claiming it, and a task
 * that does not fit waits for others on this member to finish (or for another member to take it), so a member
 * never runs more at once than its budget allows, however many workers it has.
 */
final class MemoryBudget {
    private final long limit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private long inUse;
    private long peak;

    MemoryBudget(long limit) {
        if (limit <= 0) throw new IllegalArgumentException("memory budget must be > 0: " + limit);
        this.limit = limit;
    }

    /** Reserves {@code bytes} if they fit in what is left; false (and nothing reserved) if not. */
    boolean tryReserve(long bytes) {
        lock.lock();
        try {
            if (inUse + bytes > limit) return false;
            inUse += bytes;
            peak = Math.max(peak, inUse);
            return true;
        } finally {
            lock.unlock();
        }
    }

    void release(long bytes) {
        lock.lock();
        try {
            inUse -= bytes;
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until some reservation is released, at most {@code millis}. */
    void awaitRelease(long millis) throws InterruptedException {
        lock.lock();
        try {
            released.await(millis, TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
    }

    long limit() {
        return limit;
    }

    long inUse() {
        lock.lock();
        try {
            return inUse;
        } finally {
            lock.unlock();
        }
    }

    /** The most ever reserved at once. */
    long peak() {
        lock.lock();
        try {
            return peak;
        } finally {
            lock.unlock();
        }
    }
}
