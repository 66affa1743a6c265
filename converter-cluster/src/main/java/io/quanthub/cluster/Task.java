package io.quanthub.cluster;

import java.io.Serializable;
import java.util.UUID;

/**
 * One unit of work of a job, stored in the tasks map until it is done. Any member may claim a queued task; a claim
 * names the member and lasts until {@code leaseUntil}, so the tasks of a member that leaves the cluster, or that
 * holds a task past its lease (hung, or cut off from the others), are put back in the queue. Every task is
 * idempotent (running it twice has the effect of running it once), because a member can die after doing the work
 * and before recording it.
 *
 * @param job        the job it belongs to
 * @param kind       {@link Kind#PLAN} (lay out the output, open the upload, create the part tasks), {@link Kind#PART}
 *                   (produce and upload one part) or {@link Kind#FINISH} (complete, hash, publish, register)
 * @param part       the part number (from 1) for PART tasks, else 0
 * @param offset     where the part starts in the output file
 * @param length     the part's bytes
 * @param owner      the member that claimed it; null while queued
 * @param leaseUntil cluster time (epoch ms) when the claim ends; 0 while queued
 * @param attempts   claims that ended without the task being done (member gone, lease expired, error)
 * @param lastError  why the last attempt ended; null before any
 */
public record Task(JobId job, Kind kind, int part, long offset, int length, UUID owner, long leaseUntil,
                   int attempts, String lastError) implements Serializable {
    public enum Kind { PLAN, PART, FINISH }

    /** Memory a PART task needs besides the part itself: the encoding buffers of a few chunks of rows. */
    static final long PART_OVERHEAD = 8L << 20;
    /** Memory of a PLAN task (the source header, the plan) and of a FINISH task (the hashing buffer). */
    static final long PLAN_MEMORY = 16L << 20;
    static final long FINISH_MEMORY = 4L << 20;

    static Task plan(JobId job) {
        return new Task(job, Kind.PLAN, 0, 0, 0, null, 0, 0, null);
    }

    static Task part(JobId job, int part, long offset, int length) {
        return new Task(job, Kind.PART, part, offset, length, null, 0, 0, null);
    }

    static Task finish(JobId job) {
        return new Task(job, Kind.FINISH, 0, 0, 0, null, 0, 0, null);
    }

    /** The task's key in the tasks map: unique per job, kind and part. */
    String id() {
        return id(job, kind, part);
    }

    static String id(JobId job, Kind kind, int part) {
        return job.text() + "/" + kind + (kind == Kind.PART ? "/" + part : "");
    }

    /** The heap this task needs while it runs, for admission against a member's memory budget. */
    long memoryEstimate() {
        return switch (kind) {
            case PLAN -> PLAN_MEMORY;
            case PART -> length + PART_OVERHEAD;
            case FINISH -> FINISH_MEMORY;
        };
    }

    boolean claimed() {
        return owner != null;
    }

    Task claimedBy(UUID member, long until) {
        return new Task(job, kind, part, offset, length, member, until, attempts, lastError);
    }

    /** Back in the queue after an attempt that ended without finishing, for {@code why}. */
    Task released(String why) {
        return new Task(job, kind, part, offset, length, null, 0, attempts + 1, why);
    }

    /** Back in the queue from a member that is stopping: not a failed attempt. */
    Task handedBack() {
        return new Task(job, kind, part, offset, length, null, 0, attempts, lastError);
    }

    @Override
    public String toString() {
        return kind + (kind == Kind.PART ? " " + part : "") + " of " + job;
    }
}
