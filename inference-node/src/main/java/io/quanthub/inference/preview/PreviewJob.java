package io.quanthub.inference.preview;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The cluster's record of one preview, stored in the previews map under {@link PreviewRequest#jobId()}. It changes
 * only through entry processors ({@link PreviewJobs}), so every change is atomic on the entry's owner.
 *
 * @param id        {@link PreviewRequest#jobId()}
 * @param state     where it stands
 * @param step      sampler steps finished so far (progress)
 * @param owner     the member rendering it; null unless running
 * @param node      that member's address ({@code host:port}), kept when it is done
 * @param reference the job id of the reference preview it is compared with; null for a reference or without one
 * @param result    the images and numbers; only when done
 * @param reason    why it failed; only when failed
 * @param ticket    who asked for it (their queue quota counts it) and how long a node may render it
 */
public record PreviewJob(String id, PreviewRequest request, State state, int step, UUID owner, String node,
                         String reference, Result result, String reason, Instant createdAt, Instant updatedAt,
                         Ticket ticket) implements Serializable {
    public enum State { QUEUED, RUNNING, DONE, FAILED }

    /**
     * What a finished preview produced.
     *
     * @param image        the PNG's blob digest
     * @param heatmap      the PNG of {@link DifferenceHeatmap} against the reference; null without a reference
     * @param psnr         dB against the reference ({@code +Infinity} when identical); null without a reference
     * @param ssim         {@link ImageQuality} SSIM against the reference; null without a reference
     * @param stepMillis   wall time of each sampler step
     * @param decodeMillis wall time of the VAE decode
     * @param loadMillis   fetching and opening the model for this job (0 when it was loaded already)
     * @param node         the member that rendered it
     */
    public record Result(String image, String heatmap, Double psnr, Double ssim, List<Long> stepMillis,
                         long decodeMillis, long loadMillis, String node) implements Serializable {
        public Result {
            stepMillis = List.copyOf(stepMillis);
        }

        Result compared(String heatmapDigest, ImageQuality.Comparison comparison) {
            return new Result(image, heatmapDigest, comparison.psnr(), comparison.ssim(), stepMillis, decodeMillis,
                    loadMillis, node);
        }
    }

    /**
     * Who asked for a job and its time budget: the hub's, carried in the record so that every node enforces it.
     *
     * @param requester the caller's key ({@code user:<name>}, or {@code ip:<address>} for an anonymous caller);
     *                  null when nobody is accountable (tests, the demo)
     * @param budget    how long a node may spend on it, from its claim, before it fails the job
     */
    public record Ticket(String requester, Duration budget) implements Serializable {
        /** The budget of jobs asked for without one. */
        public static final Duration DEFAULT_BUDGET = Duration.ofMinutes(10);
        /** Nobody's job, with the default budget. */
        public static final Ticket NONE = new Ticket(null, DEFAULT_BUDGET);

        public Ticket {
            Objects.requireNonNull(budget, "budget");
            if (budget.isNegative() || budget.isZero()) throw new IllegalArgumentException("budget must be positive");
        }
    }

    public PreviewJob {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(ticket, "ticket");
    }

    static PreviewJob queued(PreviewRequest request, String reference, Ticket ticket, Instant now) {
        return new PreviewJob(request.jobId(), request, State.QUEUED, 0, null, null, reference, null, null, now, now,
                ticket);
    }

    public boolean finished() {
        return state == State.DONE || state == State.FAILED;
    }

    /** Fraction done: finished steps over all steps (the decode counts as one more step). */
    public double progress() {
        if (state == State.DONE) return 1;
        return Math.min(1.0, step / (request.steps() + 1.0));
    }

    PreviewJob running(UUID member, String address, Instant now) {
        return new PreviewJob(id, request, State.RUNNING, 0, member, address, reference, null, null, createdAt, now,
                ticket);
    }

    PreviewJob atStep(int finishedSteps, Instant now) {
        return new PreviewJob(id, request, state, finishedSteps, owner, node, reference, result, reason, createdAt, now,
                ticket);
    }

    PreviewJob done(Result produced, Instant now) {
        return new PreviewJob(id, request, State.DONE, request.steps(), null, produced.node(), reference, produced,
                null, createdAt, now, ticket);
    }

    PreviewJob failed(String why, Instant now) {
        return new PreviewJob(id, request, State.FAILED, step, null, node, reference, null, why, createdAt, now,
                ticket);
    }

    /** Back in the queue (its member left, or it failed and is asked for again, then on {@code asker}'s ticket). */
    PreviewJob requeued(Ticket asker, Instant now) {
        return new PreviewJob(id, request, State.QUEUED, 0, null, null, reference, null, null, createdAt, now, asker);
    }

    /** True when {@code requester} asked for it and it is not finished (it counts against their quota). */
    public boolean heldBy(String requester) {
        return !finished() && requester != null && requester.equals(ticket.requester());
    }

    @Override
    public String toString() {
        return id + " " + state + (state == State.RUNNING ? " " + step + "/" + request.steps() : "")
                + (reason != null ? ": " + reason : "");
    }
}
