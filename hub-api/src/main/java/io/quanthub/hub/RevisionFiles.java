package io.quanthub.hub;

import io.quanthub.hub.api.QuantTable;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.StorageException;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a revision serves, by path: the files of its commit, and the quant variants the hub's converter produced from
 * its model that are not files of the commit, under the name the quant table gives them ({@link
 * RevisionLevels#variantPath}, {@code {name}-{QUANT}.gguf}). Downloads and the Hugging Face listings (model info, tree,
 * paths-info) use this one view, so a client sees a produced level as one more file of the repository. Blocks.
 */
final class RevisionFiles {
    private RevisionFiles() {}

    /**
     * The commit a revision names, for the routes Hugging Face clients call: {@code HEAD} is the default branch (as
     * on the Hub; huggingface.js asks for it), and an unknown revision is a 404 with the Hub's {@code
     * RevisionNotFound} code.
     */
    static Commit resolve(Hub hub, RepoName repo, String revision) {
        String name = "HEAD".equals(revision) ? Hub.DEFAULT_BRANCH : revision;
        try {
            return hub.storage.repos().resolve(repo, name);
        } catch (StorageException.NotFound e) {
            throw ApiException.notFound(e.getMessage()).withErrorCode("RevisionNotFound");
        }
    }

    /** Every file the commit serves, in path order. */
    static SortedMap<String, Blob> of(Hub hub, RepoName repo, Commit commit) {
        SortedMap<String, Blob> files = new TreeMap<>(commit.files());
        ModelCatalog.ModelFacts facts = hub.catalog.facts(commit);
        for (QuantTable.Level row : RevisionLevels.rows(repo, commit, facts, hub.storage.variants(), hub.qualities)) {
            if (row.status() == QuantTable.Status.AVAILABLE && row.path() != null) {
                files.putIfAbsent(row.path(), new Blob(row.digest(), row.size()));
            }
        }
        return files;
    }

    /** One file the commit serves; a 404 with the Hub's {@code EntryNotFound} code when there is none. */
    static Blob file(Hub hub, RepoName repo, Commit commit, String revision, String path) {
        Blob blob = commit.file(path).orElse(null);
        if (blob == null && ModelCatalog.isGguf(path)) blob = of(hub, repo, commit).get(path);
        if (blob == null) {
            throw ApiException.notFound("file '" + path + "' not found in " + repo + " at " + revision)
                    .withErrorCode("EntryNotFound");
        }
        return blob;
    }
}
