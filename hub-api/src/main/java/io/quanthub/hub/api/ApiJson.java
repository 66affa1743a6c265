package io.quanthub.hub.api;

import static com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.util.List;

/**
 * The one JSON form of the API's records, for the hub that writes them and for clients that read them: nulls left
 * out, times as ISO-8601 strings, digests as {@code sha256:<hex>}.
 *
 * <p>The hub reads request bodies {@linkplain #MAPPER strictly} (an unknown field is refused, so a misspelt field is
 * an error rather than silently ignored); clients read answers {@linkplain #read tolerantly} (fields a newer hub added
 * are skipped, so an older client keeps working). The CLI writes and reads its own small files the same way.
 */
public final class ApiJson {
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .defaultPropertyInclusion(JsonInclude.Value.construct(NON_NULL, NON_NULL))
            .build();

    private ApiJson() {}

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    public static String writeString(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** A JSON array of {@code type}. */
    public static JavaType listOf(Class<?> type) {
        return MAPPER.getTypeFactory().constructCollectionType(List.class, type);
    }

    /**
     * A JSON text (an answer of the hub) as a {@code type}, skipping unknown fields; a malformed or mistyped text is
     * an {@link IOException} whose one-line message starts with {@code context} and names the field.
     */
    public static <T> T read(String json, JavaType type, String context) throws IOException {
        ObjectReader reader = MAPPER.readerFor(type).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            T value = reader.readValue(json);
            if (value == null) throw new IOException(context + ": null where a JSON value was expected");
            return value;
        } catch (JsonProcessingException e) {
            throw new IOException(context + ": " + problem(e), e);
        }
    }

    public static <T> T read(String json, Class<T> type, String context) throws IOException {
        return read(json, MAPPER.constructType(type), context);
    }

    public static <T> T read(String json, TypeReference<T> type, String context) throws IOException {
        return read(json, MAPPER.constructType(type), context);
    }

    /**
     * One line naming what is wrong with a JSON text: a record's own check (its {@link IllegalArgumentException}
     * message) when that is what failed, else Jackson's message, with the field where it failed.
     */
    public static String problem(JsonProcessingException e) {
        if (e instanceof ValueInstantiationException && e.getCause() instanceof IllegalArgumentException cause) {
            return oneLine(cause.getMessage());
        }
        String message = oneLine(e.getOriginalMessage());
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            return "field " + path(m.getPath()) + ": " + message;
        }
        return message;
    }

    private static String path(List<JsonMappingException.Reference> path) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) sb.append('.');
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** The first line of a message, stripped; "" for null. */
    public static String oneLine(String message) {
        if (message == null) return "";
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }
}
