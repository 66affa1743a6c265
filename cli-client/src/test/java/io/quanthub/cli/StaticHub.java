package io.quanthub.cli;

import io.quanthub.cli.hub.Sha256;
import io.quanthub.gguf.json.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fixed hub answers shaped exactly as docs/hub-api.md specifies, published on a {@link RangeFileServer}: repository
 * details for a revision and its commit, the quants document, and every file under {@code resolve/<commit>/}. It
 * lets the CLI's commands be tested against the documented contract; the end-to-end test checks the real hub.
 */
final class StaticHub {
    private final RangeFileServer server;

    StaticHub(RangeFileServer server) {
        this.server = server;
    }

    /** A quant level for {@link #quants}: available when {@code path} is not null. */
    static Map<String, Object> level(String quant, String path, byte[] data, long estimatedSize, double bpw,
                                     long vramModelOnly, long vramAll) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("quant", quant);
        l.put("status", path != null ? "available" : "missing");
        l.put("size", path != null ? data.length : estimatedSize);
        l.put("sizeEstimated", path == null);
        l.put("bitsPerWeight", bpw);
        l.put("vram", Map.of("modelOnly", vramModelOnly, "withTextEncodersAndVae", vramAll));
        if (path != null) {
            l.put("path", path);
            l.put("digest", Sha256.json(Sha256.hex(data)));
        }
        return l;
    }

    /**
     * An available level without a path: a variant registered for the model's source whose file is not in the
     * revision, as the hub lists it.
     */
    static Map<String, Object> variant(String quant, byte[] data, double bpw) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("quant", quant);
        l.put("status", "available");
        l.put("size", data.length);
        l.put("sizeEstimated", false);
        l.put("bitsPerWeight", bpw);
        l.put("digest", Sha256.json(Sha256.hex(data)));
        return l;
    }

    /** Publishes {@code files} as commit {@code commit} of {@code repo}, reachable as {@code revisions}. */
    void commit(String repo, String commit, Map<String, byte[]> files, List<String> revisions) {
        List<Object> listing = new ArrayList<>();
        List<Object> ggufs = new ArrayList<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("path", f.getKey());
            entry.put("size", f.getValue().length);
            entry.put("digest", Sha256.json(Sha256.hex(f.getValue())));
            listing.add(entry);
            if (f.getKey().endsWith(".gguf")) ggufs.add(f.getKey());
            server.file("/" + repo + "/resolve/" + commit + "/" + f.getKey(), f.getValue(), commit);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("id", repo);
        details.put("private", false);
        details.put("sha", commit);
        details.put("branches", Map.of("main", commit));
        details.put("tags", Map.of());
        details.put("files", listing);
        details.put("architecture", "flux");
        details.put("parameters", 11_900_000_000L);
        details.put("ggufs", ggufs);
        String json = Json.write(details);
        server.json("/api/models/" + repo + "?revision=" + commit, json);
        for (String revision : revisions) server.json("/api/models/" + repo + "?revision=" + revision, json);
    }

    /** Publishes the quants document of a commit. */
    void quants(String repo, String commit, String defaultQuant, List<Map<String, Object>> levels) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("sha", commit);
        doc.put("default", defaultQuant);
        doc.put("quants", levels);
        server.json("/api/models/" + repo + "/quants?revision=" + commit, Json.write(doc));
    }
}
