package io.quanthub.hub;

import io.quanthub.hub.api.InferenceNode;
import io.quanthub.inference.preview.NodeStatus;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /api/admin/nodes} (admin): the cluster's inference nodes, largest device first, with their backend,
 * device memory and loaded models. For administrators only: the loaded files' digests say which models, private ones
 * included, were previewed lately.
 */
final class NodeRoutes {
    private final Hub hub;

    NodeRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router) {
        router.get("/api/admin/nodes").handler(this::list);
    }

    private void list(RoutingContext ctx) {
        hub.json(ctx, 200, () -> {
            hub.caller(ctx).require(Scope.ADMIN);
            if (hub.previews == null) return List.<InferenceNode>of();
            return hub.previews.nodes().stream().map(NodeRoutes::view).toList();
        });
    }

    private static InferenceNode view(NodeStatus node) {
        return new InferenceNode(node.member().toString(), node.address(), node.backend(), node.device(),
                node.deviceMemoryBytes(), node.loaded().stream()
                .map(l -> new InferenceNode.Loaded(l.files(), l.bytes())).toList());
    }
}
