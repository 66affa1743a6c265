package io.quanthub.inference.preview;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.collection.IQueue;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.IndexType;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import io.quanthub.cluster.ClusterIndexes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Preview jobs on the cluster, one instance per member (hub or inference node): accepts requests, and hands queued
 * jobs to the {@link PreviewNode}s that render them.
 *
 * <h2>Records</h2>
 * <ul>
 *   <li>{@code quanthub.previews}: job id to {@link PreviewJob}, the authoritative state of each preview.</li>
 *   <li>{@code quanthub.preview-queue}: ids of queued jobs, only to wake nodes; a lost or duplicate id is harmless,
 *       because a node renders only after claiming the job in the map.</li>
 *   <li>{@code quanthub.inference-nodes}: what each node runs on and holds ({@link InferenceNodes}).</li>
 * </ul>
 *
 * <h2>A job's life</h2>
 * A request creates the job with {@code putIfAbsent} under an id that hashes its repository and everything that
 * determines the result, so the same preview of a repository requested anywhere, any number of times, is one job (a failed one asked for again is queued
 * again). A preview of a quant first requests the reference preview of the same settings from the model's source,
 * so the reference is queued ahead of it. A job carries the device memory it needs
 * ({@link PreviewRequest#memoryBytes}); a node claims the oldest queued job that fits its device (QUEUED to RUNNING, naming itself), reports each
 * sampler step, and records the result (DONE) or the reason (FAILED). Rendering is deterministic, so a job rendered
 * twice (its node was thought dead, or a request raced a requeue) stores the same PNG under the same digest.
 *
 * <h2>Quotas, cancelling, time budget</h2>
 * Each job carries a {@link PreviewJob.Ticket}: who asked (the hub caps each caller's unfinished jobs with
 * {@link #load}) and how long a node may spend on it. {@link #cancel} fails a job at once; its node notices at the next
 * sampler step, as it does when the budget runs out (the job then fails saying so).
 *
 * <h2>Members leaving</h2>
 * When a member leaves or dies, every member puts the jobs it was running back in the queue; the entry processor lets
 * exactly one of them do so. Another node then renders them from the start.
 *
 * <h2>Reads</h2>
 * The previews map keeps every finished job; each read asks for the entries it needs with a predicate on an indexed
 * component of {@link PreviewJob} ({@code state}, {@code owner}, {@code updatedAt}), never for the whole map.
 */
public final class PreviewJobs implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PreviewJobs.class.getName());
    static final String JOBS = "quanthub.previews";
    static final String QUEUE = "quanthub.preview-queue";
    /** How long {@link #list()} keeps showing finished jobs. */
    static final Duration KEEP_FINISHED_LISTED = Duration.ofHours(1);
    private static final Predicate<String, PreviewJob> UNFINISHED =
            Predicates.in("state", PreviewJob.State.QUEUED, PreviewJob.State.RUNNING);

    private final HazelcastInstance hz;
    private final IMap<String, PreviewJob> jobs;
    private final IQueue<String> queue;
    private final InferenceNodes nodes;
    private final UUID membershipRegistration;
    private final ExecutorService housekeeping = Executors.newSingleThreadExecutor(Thread.ofPlatform()
            .name("quanthub-preview-membership").daemon().factory());

    public PreviewJobs(HazelcastInstance hz) {
        this.hz = hz;
        ClusterIndexes.declare(hz, JOBS, new IndexConfig(IndexType.HASH, "state"),
                new IndexConfig(IndexType.HASH, "owner"), new IndexConfig(IndexType.SORTED, "updatedAt"));
        this.jobs = hz.getMap(JOBS);
        this.queue = hz.getQueue(QUEUE);
        this.nodes = new InferenceNodes(hz);
        this.membershipRegistration = hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                // Not on the event thread: requeueing queries the cluster.
                housekeeping.execute(() -> {
                    nodes.forget(event.getMember().getUuid());
                    requeueJobsOf(event.getMember());
                });
            }
        });
    }

    HazelcastInstance hazelcast() {
        return hz;
    }

    /** The cluster's inference nodes, as they report themselves. */
    public InferenceNodes nodes() {
        return nodes;
    }

    // ---- requests ----------------------------------------------------------------------------------------------

    /**
     * Asks for a preview, and first for its reference (the same settings from the source, labelled
     * {@code sourceDtype}) when it has one. Idempotent: returns the existing job when there is one; a failed job is
     * queued again.
     */
    public PreviewJob request(PreviewRequest request, String sourceDtype) {
        return request(request, sourceDtype, PreviewJob.Ticket.NONE);
    }

    /** {@link #request(PreviewRequest, String)} on {@code ticket}: the jobs it creates or requeues carry it. */
    public PreviewJob request(PreviewRequest request, String sourceDtype, PreviewJob.Ticket ticket) {
        String reference = null;
        if (request.compared()) reference = ensure(request.reference(sourceDtype), null, ticket).id();
        return ensure(request, reference, ticket);
    }

    /** The job of {@code request}, created (and queued) unless it exists; a failed one is queued again. */
    PreviewJob ensure(PreviewRequest request, String reference, PreviewJob.Ticket ticket) {
        String id = request.jobId();
        PreviewJob existing = jobs.get(id);
        if (existing == null) {
            PreviewJob fresh = PreviewJob.queued(request, reference, ticket, Instant.now());
            existing = jobs.putIfAbsent(id, fresh);
            if (existing == null) {
                queue.offer(id);
                return fresh;
            }
        }
        if (existing.state() == PreviewJob.State.FAILED) {
            Instant now = Instant.now();
            JobUpdate.Result retried = jobs.executeOnKey(id, new JobUpdate(job ->
                    job.state() == PreviewJob.State.FAILED ? job.requeued(ticket, now) : job));
            if (retried.changed()) queue.offer(id);
            return retried.after();
        }
        // Also for a job already queued: the member that created it may have died before offering its id.
        if (existing.state() == PreviewJob.State.QUEUED) queue.offer(id);
        return existing;
    }

    public Optional<PreviewJob> find(String id) {
        if (id == null || !id.startsWith("preview-")) return Optional.empty();
        return Optional.ofNullable(jobs.get(id));
    }

    /** How many unfinished jobs {@code requester} asked for (queued or running), and how many are queued in all. */
    public record Load(int heldByRequester, int queued) {}

    /** The load of the queue as {@code requester} adds to it (the unfinished jobs: quotas bound them). */
    public Load load(String requester) {
        int held = 0;
        int queued = 0;
        for (PreviewJob job : jobs.values(UNFINISHED)) {
            if (job.heldBy(requester)) held++;
            if (job.state() == PreviewJob.State.QUEUED) queued++;
        }
        return new Load(held, queued);
    }

    /**
     * Cancels a job that has not finished: it fails with {@code reason} at once, and the node rendering it stops at
     * its next sampler step (a step report finds the job no longer its own).
     *
     * @return the job after the attempt; empty when there is none
     */
    public Optional<PreviewJob> cancel(String id, String reason) {
        Instant now = Instant.now();
        return Optional.ofNullable(jobs.executeOnKey(id, new JobUpdate(job ->
                job.finished() ? job : job.failed(reason, now))).after());
    }

    /** Queued and running jobs, and those finished in the last hour; newest first. */
    public List<PreviewJob> list() {
        Instant cutoff = Instant.now().minus(KEEP_FINISHED_LISTED);
        List<PreviewJob> all = new ArrayList<>(jobs.values(Predicates.or(UNFINISHED,
                Predicates.greaterThan("updatedAt", cutoff))));
        all.sort(Comparator.comparing(PreviewJob::createdAt).reversed());
        return all;
    }

    /**
     * Calls {@code listener} with every job created or changed anywhere in the cluster, on a Hazelcast event thread
     * (it must not block); closing the result stops it.
     */
    public AutoCloseable onChange(Consumer<PreviewJob> listener) {
        UUID registration = jobs.addEntryListener(new JobListener(listener), true);
        return () -> jobs.removeEntryListener(registration);
    }

    private record JobListener(Consumer<PreviewJob> listener)
            implements EntryAddedListener<String, PreviewJob>, EntryUpdatedListener<String, PreviewJob> {
        @Override
        public void entryAdded(EntryEvent<String, PreviewJob> event) {
            listener.accept(event.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, PreviewJob> event) {
            listener.accept(event.getValue());
        }
    }

    // ---- transitions used by nodes ---------------------------------------------------------------------------

    /**
     * Waits up to {@code timeout} for a job to be queued (a wake-up only: a node then claims the oldest job that fits
     * it with {@link #claimNext}, which also finds jobs whose wake-up another node took).
     */
    void awaitQueued(Duration timeout) throws InterruptedException {
        queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Claims the oldest queued job that fits a device of {@code deviceBytes} for {@code member}; null when none does.
     * Jobs too large for it stay queued for a larger node (the hub shows why they wait, {@link InferenceNodes}).
     */
    PreviewJob claimNext(UUID member, String address, long deviceBytes) {
        List<PreviewJob> queued = new ArrayList<>(jobs.values(Predicates.equal("state", PreviewJob.State.QUEUED)));
        queued.sort(Comparator.comparing(PreviewJob::createdAt).thenComparing(PreviewJob::id));
        for (PreviewJob job : queued) {
            if (job.request().memoryBytes() > deviceBytes) continue;
            PreviewJob claimed = claim(job.id(), member, address, deviceBytes);
            if (claimed != null) return claimed;
        }
        return null;
    }

    /**
     * Claims a queued job for {@code member} if it fits a device of {@code deviceBytes}; null if it is gone, claimed,
     * finished or too large. The check and the claim are one entry processor, so racing nodes claim a job once.
     */
    PreviewJob claim(String id, UUID member, String address, long deviceBytes) {
        Instant now = Instant.now();
        JobUpdate.Result claimed = jobs.executeOnKey(id, new JobUpdate(job ->
                job.state() == PreviewJob.State.QUEUED && job.request().memoryBytes() <= deviceBytes
                        ? job.running(member, address, now) : job));
        return claimed.changed() ? claimed.after() : null;
    }

    /** Records progress of a job {@code member} runs; false when it is no longer its own (cancelled, requeued). */
    boolean step(String id, UUID member, int finishedSteps) {
        Instant now = Instant.now();
        JobUpdate.Result stepped = jobs.executeOnKey(id, new JobUpdate(job ->
                ownedBy(job, member) ? job.atStep(finishedSteps, now) : job));
        return stepped.changed();
    }

    /** Records the result; a job already finished (by another render of the same inputs) stays as it is. */
    void done(String id, PreviewJob.Result result) {
        Instant now = Instant.now();
        jobs.executeOnKey(id, new JobUpdate(job -> job.finished() ? job : job.done(result, now)));
    }

    void fail(String id, String reason) {
        Instant now = Instant.now();
        jobs.executeOnKey(id, new JobUpdate(job -> job.finished() ? job : job.failed(reason, now)));
    }

    private static boolean ownedBy(PreviewJob job, UUID member) {
        return job.state() == PreviewJob.State.RUNNING && member.equals(job.owner());
    }

    // ---- members leaving ---------------------------------------------------------------------------------------

    /** Puts the jobs a departed member was running back in the queue. */
    private void requeueJobsOf(Member gone) {
        requeueJobsOf(gone.getUuid(), "member " + gone.getAddress() + " left while rendering it");
    }

    /** Puts the jobs {@code member} was running back in the queue (a node that stops while its member stays). */
    void release(UUID member) {
        requeueJobsOf(member, "its node stopped");
    }

    private void requeueJobsOf(UUID dead, String why) {
        try {
            Instant now = Instant.now();
            for (PreviewJob job : jobs.values(Predicates.equal("owner", dead))) {
                JobUpdate.Result requeued = jobs.executeOnKey(job.id(), new JobUpdate(current ->
                        ownedBy(current, dead) ? current.requeued(current.ticket(), now) : current));
                if (requeued.changed()) {
                    LOG.log(System.Logger.Level.INFO, "requeued " + job.id() + ": " + why);
                    queue.offer(job.id());
                }
            }
        } catch (HazelcastInstanceNotActiveException e) {
            // This member is stopping too.
        }
    }

    /** Offers every queued job again (a node that starts picks up jobs whose queue entry was lost). */
    void offerQueued() {
        for (String id : jobs.keySet(Predicates.equal("state", PreviewJob.State.QUEUED))) queue.offer(id);
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        try {
            if (hz.getLifecycleService().isRunning()) hz.getCluster().removeMembershipListener(membershipRegistration);
        } catch (HazelcastInstanceNotActiveException ignored) {
            // Already stopped.
        }
    }
}
