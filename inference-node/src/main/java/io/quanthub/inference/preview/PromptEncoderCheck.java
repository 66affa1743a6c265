package io.quanthub.inference.preview;

import io.quanthub.inference.text.TextEncoderReference;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.Variant;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which text encoders a prompt preview of a commit may run, checked by the node from storage, not from the job record
 * (anyone on the cluster port can write that one, and could otherwise have a private repository's weights encode
 * prompts under a public repository's name). An encoder is admitted when its digest is a file of the preview's own
 * commit, or a file or an available quant variant at the {@code main} head of a repository that the commit's
 * {@value TextEncoderReference#FILE} or the admin's defaults (given to the node as the hub has them) reference.
 *
 * <p>The node does not know the model's architecture, so any architecture's default admits its encoders: the admin
 * named those for every user. Whether the caller may see an encoder's repository is the hub's check, made when it
 * resolves the encoders for that caller; this one only stops forged records.
 */
final class PromptEncoderCheck {
    static final String MAIN = "main";
    private static final int MAX_FILE_BYTES = 64 << 10;

    private final HubStorage storage;
    private final Set<RepoName> defaultRepos;

    /** @param defaults the admin's defaults: architecture to role to reference */
    PromptEncoderCheck(HubStorage storage, Map<String, Map<String, String>> defaults) {
        this.storage = storage;
        Set<RepoName> repos = new LinkedHashSet<>();
        defaults.values().forEach(roles -> roles.forEach((role, ref) ->
                repos.add(TextEncoderReference.parse(role, ref).repo())));
        this.defaultRepos = Set.copyOf(repos);
    }

    /** @throws IllegalArgumentException naming the first digest the commit may not use as a text encoder */
    void require(Commit commit, String repo, List<String> digests) {
        Set<String> own = digestsOf(commit);
        List<String> missing = digests.stream().filter(d -> !own.contains(d)).toList();
        if (missing.isEmpty()) return;
        Set<String> referenced = new LinkedHashSet<>();
        for (RepoName named : referencedRepos(commit)) {
            Optional<Commit> head = head(named);
            if (head.isEmpty()) continue;
            referenced.addAll(digestsOf(head.get()));
            for (Blob file : head.get().files().values()) {
                for (Variant v : storage.variants().list(file.digest())) {
                    if (v.status() == Variant.Status.AVAILABLE && v.output() != null) {
                        referenced.add(v.output().digest().toString());
                    }
                }
            }
        }
        for (String digest : missing) {
            if (!referenced.contains(digest)) {
                throw new IllegalArgumentException(digest + " is neither a file of " + repo + " at commit "
                        + commit.id() + " nor a text encoder it references: a preview runs only the encoders its "
                        + "model names");
            }
        }
    }

    private List<RepoName> referencedRepos(Commit commit) {
        List<RepoName> repos = new ArrayList<>(defaultRepos);
        Optional<Blob> file = commit.file(TextEncoderReference.FILE);
        if (file.isPresent() && file.get().size() <= MAX_FILE_BYTES) {
            try (InputStream in = storage.blobs().open(file.get().digest())) {
                String text = new String(in.readNBytes((int) file.get().size()), StandardCharsets.UTF_8);
                TextEncoderReference.parseFile(text).forEach(ref -> repos.add(ref.repo()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + TextEncoderReference.FILE + ": " + e.getMessage(), e);
            } catch (IllegalArgumentException invalid) {
                // Names nothing, as the hub reads it.
            }
        }
        return repos;
    }

    private Optional<Commit> head(RepoName repo) {
        try {
            return Optional.of(storage.repos().resolve(repo, MAIN));
        } catch (StorageException.NotFound e) {
            return Optional.empty();
        }
    }

    private static Set<String> digestsOf(Commit commit) {
        Set<String> digests = new LinkedHashSet<>();
        commit.files().values().forEach(b -> digests.add(b.digest().toString()));
        return digests;
    }
}
