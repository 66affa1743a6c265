package io.quanthub.cli;

import io.quanthub.cli.hub.Sha256;
import io.quanthub.hub.api.ApiJson;
import io.quanthub.hub.api.QuantTable;
import io.quanthub.hub.api.RepoDetails;
import io.quanthub.hub.api.RepoFile;
import io.quanthub.storage.Digest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fixed hub answers, made of the hub's own records ({@link io.quanthub.hub.api}) as the hub writes them, published on
 * a {@link RangeFileServer}: repository details for a revision and its commit, the quants document, and every file
 * under {@code resolve/<commit>/}. It lets the CLI's commands be tested on answers the real hub cannot be made to
 * give on cue; the end-to-end test checks the real hub.
 */
final class StaticHub {
    private final RangeFileServer server;

    StaticHub(RangeFileServer server) {
        this.server = server;
    }

    /** A quant level for {@link #quants}: available when {@code path} is not null. */
    static QuantTable.Level level(String quant, String path, byte[] data, long estimatedSize, double bpw,
                                  long vramModelOnly, long vramAll) {
        return new QuantTable.Level(quant, path != null ? QuantTable.Status.AVAILABLE : QuantTable.Status.MISSING,
                path != null ? (long) data.length : estimatedSize, path == null, bpw,
                new QuantTable.Vram(vramModelOnly, vramAll), path, path != null ? digest(data) : null, null);
    }

    /** The level as the hub lists one its converter made, with the converter's error measures. */
    static QuantTable.Level withQuality(QuantTable.Level l, double relativeRmse, double cosine) {
        return new QuantTable.Level(l.quant(), l.status(), l.size(), l.sizeEstimated(), l.bitsPerWeight(), l.vram(),
                l.path(), l.digest(), new QuantTable.Quality(relativeRmse, cosine));
    }

    /**
     * An available level without a path: a variant registered for the model's source whose file is not in the
     * revision, as the hub lists it.
     */
    static QuantTable.Level variant(String quant, byte[] data, double bpw) {
        return new QuantTable.Level(quant, QuantTable.Status.AVAILABLE, (long) data.length, false, bpw, null, null,
                digest(data), null);
    }

    private static Digest digest(byte[] data) {
        return new Digest(Sha256.hex(data));
    }

    /** Publishes {@code files} as commit {@code commit} of {@code repo}, reachable as {@code revisions}. */
    void commit(String repo, String commit, Map<String, byte[]> files, List<String> revisions) {
        List<RepoFile> listing = new ArrayList<>();
        List<String> ggufs = new ArrayList<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            listing.add(new RepoFile(f.getKey(), f.getValue().length, digest(f.getValue())));
            if (f.getKey().endsWith(".gguf")) ggufs.add(f.getKey());
            server.file("/" + repo + "/resolve/" + commit + "/" + f.getKey(), f.getValue(), commit);
        }
        String json = ApiJson.writeString(new RepoDetails(repo, false, null, null, null, commit, null, null, null,
                Map.of("main", commit), Map.of(), listing, "flux", 11_900_000_000L, ggufs, null, null));
        server.json("/api/models/" + repo + "?revision=" + commit, json);
        for (String revision : revisions) server.json("/api/models/" + repo + "?revision=" + revision, json);
    }

    /** Publishes the quants document of a commit. */
    void quants(String repo, String commit, String defaultQuant, List<QuantTable.Level> levels) {
        server.json("/api/models/" + repo + "/quants?revision=" + commit, ApiJson.writeString(
                new QuantTable(null, null, commit, null, null, null, defaultQuant, levels, null)));
    }
}
