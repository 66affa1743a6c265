package io.quanthub.hub;

import static com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;

/**
 * JSON in and out of the API: request bodies into records (unknown fields refused, so a misspelt field is an error
 * rather than silently ignored), response records out with nulls left out and times as ISO-8601 strings.
 */
final class Jsons {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .defaultPropertyInclusion(JsonInclude.Value.construct(NON_NULL, NON_NULL))
            .build();

    private Jsons() {}

    /** The request body as a {@code type}; a missing, malformed or mistyped body is a 400 naming the problem. */
    static <T> T read(RoutingContext ctx, Class<T> type) {
        Buffer body = ctx.body().buffer();
        if (body == null || body.length() == 0) throw ApiException.badRequest("request body is empty (JSON expected)");
        try {
            T value = MAPPER.readValue(body.getBytes(), type);
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
            throw ApiException.badRequest("invalid JSON body: " + oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw ApiException.badRequest("unreadable request body: " + oneLine(e.getMessage()));
        }
    }

    static Buffer write(Object value) {
        try {
            return Buffer.buffer(MAPPER.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** A response record as a JSON tree, for answers that add fields to it. */
    static com.fasterxml.jackson.databind.node.ObjectNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }

    /** Sends {@code body} as JSON with this status. */
    static void send(RoutingContext ctx, int status, Object body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(write(body));
    }

    static String oneLine(String message) {
        if (message == null) return "";
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }
}
