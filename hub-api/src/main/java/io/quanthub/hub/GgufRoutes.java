package io.quanthub.hub;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.format.GgufHeader;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.hub.api.GgufView;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Names;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.StorageException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /api/models/{org}/{name}/gguf/{revision}/{path}}: what a GGUF file holds (metadata, tensor table,
 * totals per type), read from its header by byte range so that looking at a 20 GB model costs a few hundred KiB.
 */
final class GgufRoutes {
    static final String VIEWER = "/api/models/(?<org>[^/]+)/(?<name>[^/]+)/gguf/(?<revision>[^/]+)/(?<path>.+)";
    /** Arrays longer than this (tokenizers) are summarized as {"elementType", "length"}. */
    static final int MAX_JSON_ARRAY = 1024;

    private final Hub hub;

    GgufRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router) {
        router.getWithRegex(VIEWER).handler(this::view);
    }

    private void view(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = ctx.pathParam("revision");
        String path = Names.requireFilePath(ctx.pathParam("path"));
        hub.json(ctx, 200, () -> {
            hub.access.visibleRepo(hub.caller(ctx), repo);
            Commit commit = hub.storage.repos().resolve(repo, revision);
            Blob blob = commit.file(path).orElseThrow(() -> new StorageException.NotFound(
                    "file '" + path + "' not found in " + repo + " at " + revision));
            ModelCatalog.GgufModel gguf = hub.catalog.gguf(path, blob);
            return viewer(gguf, commit.id());
        });
    }

    private static GgufView viewer(ModelCatalog.GgufModel gguf, String commit) {
        GgufHeader header = gguf.header();
        Map<String, Object> metadata = new LinkedHashMap<>();
        header.metadata().forEach((key, value) -> metadata.put(key, value.toJsonValue(MAX_JSON_ARRAY)));
        Map<String, long[]> totals = new TreeMap<>();
        List<GgufView.Tensor> tensors = new ArrayList<>(header.tensors().size());
        for (TensorInfo t : header.tensors()) {
            tensors.add(new GgufView.Tensor(t.name(), t.type().name(), t.shape(), t.dims(), t.offset(), t.byteSize(),
                    t.elementCount()));
            long[] total = totals.computeIfAbsent(t.type().name(), k -> new long[3]);
            total[0]++;
            total[1] += t.elementCount();
            total[2] += t.byteSize();
        }
        Map<String, GgufView.TypeTotal> types = new LinkedHashMap<>();
        totals.forEach((type, t) -> types.put(type, new GgufView.TypeTotal(t[0], t[1], t[2])));
        QuantLevel level = gguf.level();
        return new GgufView(gguf.path(), gguf.blob().digest(), gguf.blob().size(), commit, header.version(),
                header.alignment(), gguf.architecture(), level == null ? null : level.name(), tensors.size(),
                gguf.parameters(), gguf.tensorBytes(), gguf.bitsPerWeight(), header.dataOffset(), metadata, types,
                tensors);
    }
}
