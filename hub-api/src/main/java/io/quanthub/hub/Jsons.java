package io.quanthub.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.quanthub.hub.api.ApiError;
import io.quanthub.hub.api.ApiJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;

/**
 * The API's records ({@link io.quanthub.hub.api}) in and out of Vert.x requests, in their one JSON form
 * ({@link ApiJson}): request bodies are read strictly, failures answered as {@link ApiError}.
 */
final class Jsons {
    private Jsons() {}

    /** The request body as a {@code type}; a missing, malformed or mistyped body is a 400 naming the problem. */
    static <T> T read(RoutingContext ctx, Class<T> type) {
        Buffer body = ctx.body().buffer();
        if (body == null || body.length() == 0) throw ApiException.badRequest("request body is empty (JSON expected)");
        try {
            T value = ApiJson.MAPPER.readValue(body.getBytes(), type);
            if (value == null) throw ApiException.badRequest("request body is null (a JSON object expected)");
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("unknown field '" + e.getPropertyName() + "' in the request body");
        } catch (JsonProcessingException e) {
            // A record constructor's own check (IllegalArgumentException) carries the best message.
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException || cause instanceof ApiException) {
                throw ApiException.badRequest(cause.getMessage());
            }
            throw ApiException.badRequest("invalid JSON body: " + ApiJson.oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw ApiException.badRequest("unreadable request body: " + ApiJson.oneLine(e.getMessage()));
        }
    }

    static Buffer write(Object value) {
        return Buffer.buffer(ApiJson.write(value));
    }

    /** A response record as a JSON tree, for answers that add fields to it. */
    static com.fasterxml.jackson.databind.node.ObjectNode tree(Object value) {
        return ApiJson.MAPPER.valueToTree(value);
    }

    /** Sends {@code body} as JSON with this status. */
    static void send(RoutingContext ctx, int status, Object body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(write(body));
    }

    /** Sends {@code {"error": message}} with this status. */
    static void sendError(RoutingContext ctx, int status, String message) {
        send(ctx, status, ApiError.of(message));
    }
}
