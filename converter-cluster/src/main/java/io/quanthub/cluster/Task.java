package io.quanthub.cluster;

import java.io.Serializable;
import java.util.UUID;

/**
 * One unit of work of a job, stored in the tasks map until it is done. Any member may claim a queued task; a claim
 * names the member, so the tasks of a member that leaves the cluster can be put back in the queue. Every task is
 * idempotent (running it twice has the effect of running it once), because a member can die after doing the work
 * and before recording it.
 *
 * @param job    the job it belongs to
 * @param kind   {@link Kind#PLAN} (lay out the output, open the upload, create the part tasks), {@link Kind#PART}
 *               (produce and upload one part) or {@link Kind#FINISH} (complete, hash, publish, register)
 * @param part   the part number (from 1) for PART tasks, else 0
 * @param offset where the part starts in the output file
 * @param length the part's bytes
 * @param owner  the member that claimed it; null while queued
 */
public record Task(JobId job, Kind kind, int part, long offset, int length, UUID owner) implements Serializable {
    public enum Kind { PLAN, PART, FINISH }

    static Task plan(JobId job) {
        return new Task(job, Kind.PLAN, 0, 0, 0, null);
    }

    static Task part(JobId job, int part, long offset, int length) {
        return new Task(job, Kind.PART, part, offset, length, null);
    }

    static Task finish(JobId job) {
        return new Task(job, Kind.FINISH, 0, 0, 0, null);
    }

    /** The task's key in the tasks map: unique per job, kind and part. */
    String id() {
        return id(job, kind, part);
    }

    static String id(JobId job, Kind kind, int part) {
        return job.sourceHex() + "/" + job.quant() + "/" + job.converterVersion() + "/" + kind
                + (kind == Kind.PART ? "/" + part : "");
    }

    boolean claimed() {
        return owner != null;
    }

    Task claimedBy(UUID member) {
        return new Task(job, kind, part, offset, length, member);
    }

    Task released() {
        return new Task(job, kind, part, offset, length, null);
    }

    @Override
    public String toString() {
        return kind + (kind == Kind.PART ? " " + part : "") + " of " + job;
    }
}
