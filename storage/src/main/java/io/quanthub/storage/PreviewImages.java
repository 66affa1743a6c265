package io.quanthub.storage;

import java.util.Objects;
import java.util.Optional;

/**
 * The images an inference node rendered for a preview job, at {@code previews/<job id>.json}: the PNG blobs and the
 * repository the job was for. The hub serves a preview's image from this record, written only by a node that holds
 * the bucket's credentials, never from the job record in cluster state: that one anyone who reaches the cluster port
 * can write, and a forged digest there must not make the hub serve some other blob (a private file) as an image.
 * Rendering is deterministic, so a job rendered twice writes the same record.
 */
public final class PreviewImages {
    static final String PREFIX = "previews/";
    private static final java.util.regex.Pattern JOB_ID = java.util.regex.Pattern.compile("preview-[0-9a-f]{24}");

    /**
     * @param repo    the repository the preview was rendered for ({@code org/name})
     * @param image   the PNG's blob digest
     * @param heatmap the difference heatmap's blob digest; null without a reference
     */
    public record Rendered(String repo, String image, String heatmap) {
        public Rendered {
            Objects.requireNonNull(repo, "repo");
            Digest.parse(image);
            if (heatmap != null) Digest.parse(heatmap);
        }
    }

    private final ObjectStore s3;

    PreviewImages(ObjectStore s3) {
        this.s3 = s3;
    }

    static String key(String jobId) {
        if (!JOB_ID.matcher(jobId).matches()) throw new IllegalArgumentException("not a preview job id: " + jobId);
        return PREFIX + jobId + ".json";
    }

    public void put(String jobId, Rendered rendered) {
        s3.put(key(jobId), StoredJson.write(rendered));
    }

    /** The images of job {@code jobId}; empty when no node has finished it (or the id is not a preview's). */
    public Optional<Rendered> get(String jobId) {
        if (!JOB_ID.matcher(jobId).matches()) return Optional.empty();
        return s3.get(key(jobId)).map(json -> StoredJson.read(json, Rendered.class, key(jobId)));
    }
}
