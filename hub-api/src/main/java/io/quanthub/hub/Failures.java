package io.quanthub.hub;

import io.quanthub.hub.api.ApiJson;
import io.quanthub.storage.StorageException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Turns every failure into {@code {"error": "<one line>"}} with the right status, so no stack trace reaches a
 * client: the hub's own refusals ({@link ApiException}), bad input ({@link IllegalArgumentException} from name and
 * record checks), storage outcomes (not found, exists, conflicts, too large), and Vert.x Web's own statuses (404,
 * 405, 413 from the JSON body limit). Anything else is a 500 that is logged with its stack trace.
 */
final class Failures {
    private static final System.Logger LOG = System.getLogger(Failures.class.getName());

    private Failures() {}

    /** The router's failure handler. */
    static void handle(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        int status;
        String message;
        if (failure == null) {
            status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
            message = switch (status) {
                case 404 -> "no such route: " + ctx.request().method() + " " + ctx.request().path();
                case 405 -> "method " + ctx.request().method() + " is not allowed on " + ctx.request().path();
                case 413 -> "request body is larger than the limit";
                default -> "request failed with status " + status;
            };
        } else {
            Map.Entry<Integer, String> mapped = map(failure);
            status = mapped.getKey();
            message = mapped.getValue();
            if (status == 500) {
                LOG.log(System.Logger.Level.ERROR, "request " + ctx.request().method() + " " + ctx.request().uri()
                        + " failed", failure);
            }
        }
        HttpServerResponse response = ctx.response();
        if (response.headWritten() || response.ended() || response.closed()) {
            // Part of the body is already out: the client can only learn of the failure by a cut connection.
            if (!response.closed()) ctx.request().connection().close();
            return;
        }
        if (status == 401) response.putHeader("WWW-Authenticate", "Bearer");
        if (failure instanceof ApiException api && api.errorCode() != null) {
            response.putHeader("X-Error-Code", api.errorCode()).putHeader("X-Error-Message",
                    message.replaceAll("[^\\x20-\\x7e]", "?")); // a header holds printable ASCII only
        }
        Jsons.sendError(ctx, status, message);
    }

    /** Status and message for a failure. */
    static Map.Entry<Integer, String> map(Throwable failure) {
        String message = ApiJson.oneLine(failure.getMessage());
        return switch (failure) {
            case ApiException e -> Map.entry(e.status(), message);
            case StorageException.NotFound e -> Map.entry(404, message);
            case StorageException.AlreadyExists e -> Map.entry(409, message);
            case StorageException.CommitConflict e -> Map.entry(409, message);
            case StorageException.RefConflict e -> Map.entry(409, message);
            case StorageException.TooLarge e -> Map.entry(413, message);
            case StorageException.DigestMismatch e -> Map.entry(400, message);
            case IllegalArgumentException e -> Map.entry(400, message);
            default -> Map.entry(500, "internal error: " + failure.getClass().getSimpleName()
                    + (message.isEmpty() ? "" : ": " + message));
        };
    }
}
