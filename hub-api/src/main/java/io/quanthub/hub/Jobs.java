package io.quanthub.hub;

import io.quanthub.hub.api.HubJob;
import io.quanthub.storage.RepoName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Every {@link JobDirectory} of the hub as one: a job id is looked up in each in turn. */
public final class Jobs implements JobDirectory {
    private final List<JobDirectory> directories = new CopyOnWriteArrayList<>();

    /** Adds the jobs of another kind. */
    public void add(JobDirectory directory) {
        directories.add(directory);
    }

    @Override
    public Optional<HubJob> find(String id) {
        for (JobDirectory d : directories) {
            Optional<HubJob> job = d.find(id);
            if (job.isPresent()) return job;
        }
        return Optional.empty();
    }

    @Override
    public List<RepoName> alsoAskedBy(String id) {
        List<RepoName> repos = new ArrayList<>();
        for (JobDirectory d : directories) repos.addAll(d.alsoAskedBy(id));
        return repos;
    }

    /** Running first, then queued, then finished; newest first within each. */
    @Override
    public List<HubJob> list() {
        List<HubJob> all = new ArrayList<>();
        for (JobDirectory d : directories) all.addAll(d.list());
        all.sort(Comparator.comparingInt((HubJob j) -> switch (j.state()) {
            case RUNNING -> 0;
            case QUEUED -> 1;
            default -> 2;
        }).thenComparing(HubJob::created, Comparator.nullsLast(Comparator.reverseOrder())));
        return all;
    }

    @Override
    public AutoCloseable onChange(Consumer<Change> listener) {
        List<AutoCloseable> registrations = new ArrayList<>();
        for (JobDirectory d : directories) registrations.add(d.onChange(listener));
        return () -> {
            for (AutoCloseable registration : registrations) registration.close();
        };
    }
}
