package io.quanthub.cli.hub;

import io.quanthub.gguf.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed, checked access to one parsed JSON object (from {@link Json}), so that a response of the wrong shape gives
 * one line naming the field and where it came from instead of a {@code ClassCastException}.
 *
 * @param context where the object came from, e.g. "hub response to GET /api/models/org/name"
 */
public record JsonFields(Map<String, Object> map, String context) {
    /** Parses {@code text} as a JSON object. */
    public static JsonFields parse(String text, String context) {
        try {
            return new JsonFields(Json.parseObject(text), context);
        } catch (Json.JsonException e) {
            throw new IllegalArgumentException(context + ": " + e.getMessage(), e);
        }
    }

    /** Parses {@code text} as a JSON array of objects. */
    public static List<JsonFields> parseArray(String text, String context) {
        Object value;
        try {
            value = Json.parse(text);
        } catch (Json.JsonException e) {
            throw new IllegalArgumentException(context + ": " + e.getMessage(), e);
        }
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException(context + ": expected a JSON array, found " + Json.kind(value));
        }
        return objects(list, context);
    }

    public boolean has(String name) {
        return map.get(name) != null;
    }

    public String string(String name) {
        return require(name, String.class, "a string");
    }

    /** The string, or null when the field is absent or null. */
    public String optString(String name) {
        return has(name) ? string(name) : null;
    }

    public long number(String name) {
        Object v = map.get(name);
        if (v instanceof Long l) return l;
        throw wrong(name, "an integer", v);
    }

    public Long optNumber(String name) {
        return has(name) ? number(name) : null;
    }

    /** A number that may have a fraction; null when absent. */
    public Double optDecimal(String name) {
        Object v = map.get(name);
        if (v == null) return null;
        if (v instanceof Number n) return n.doubleValue();
        throw wrong(name, "a number", v);
    }

    public boolean flag(String name) {
        Object v = map.get(name);
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        throw wrong(name, "a boolean", v);
    }

    /** A nested object; null when absent. */
    @SuppressWarnings("unchecked")
    public JsonFields optObject(String name) {
        Object v = map.get(name);
        if (v == null) return null;
        if (v instanceof Map<?, ?> m) return new JsonFields((Map<String, Object>) m, context + ", field " + name);
        throw wrong(name, "an object", v);
    }

    /** An array of objects; empty when absent. */
    public List<JsonFields> objects(String name) {
        Object v = map.get(name);
        if (v == null) return List.of();
        if (v instanceof List<?> list) return objects(list, context + ", field " + name);
        throw wrong(name, "an array", v);
    }

    /** An array of strings; empty when absent. */
    public List<String> strings(String name) {
        Object v = map.get(name);
        if (v == null) return List.of();
        if (!(v instanceof List<?> list)) throw wrong(name, "an array", v);
        List<String> out = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof String s)) throw wrong(name, "an array of strings", item);
            out.add(s);
        }
        return out;
    }

    /** An array of integers; empty when absent. */
    public List<Long> numbers(String name) {
        Object v = map.get(name);
        if (v == null) return List.of();
        if (!(v instanceof List<?> list)) throw wrong(name, "an array", v);
        List<Long> out = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Long l)) throw wrong(name, "an array of integers", item);
            out.add(l);
        }
        return out;
    }

    /** The member names of an object, in order; empty when absent. */
    public List<String> keys(String name) {
        JsonFields object = optObject(name);
        return object == null ? List.of() : List.copyOf(object.map().keySet());
    }

    @SuppressWarnings("unchecked")
    private static List<JsonFields> objects(List<?> list, String context) {
        List<JsonFields> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException(
                        context + ": item " + i + " should be an object, found " + Json.kind(list.get(i)));
            }
            out.add(new JsonFields((Map<String, Object>) m, context + ", item " + i));
        }
        return out;
    }

    private <T> T require(String name, Class<T> type, String what) {
        Object v = map.get(name);
        if (type.isInstance(v)) return type.cast(v);
        throw wrong(name, what, v);
    }

    private IllegalArgumentException wrong(String name, String expected, Object found) {
        return new IllegalArgumentException(context + ": field \"" + name + "\" should be " + expected
                + (found == null ? " but is missing" : ", found " + Json.kind(found)));
    }
}
