package io.quanthub.gguf.json;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Map<String, Object> o = Json.parseObject("""
                 {"s": "a\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00", "i": -12, "big": 9223372036854775807,
                  "huge": 18446744073709551616, "f": 1.5e-3, "t": true, "n": null, "a": [1, [], {}],
                  "e": {}, "z": 0}\t
                """);
        assertEquals(List.of("s", "i", "big", "huge", "f", "t", "n", "a", "e", "z"), List.copyOf(o.keySet()));
        assertEquals("a\"b\\c/\né😀", o.get("s"));
        assertEquals(-12L, o.get("i"));
        assertEquals(Long.MAX_VALUE, o.get("big"));
        assertEquals(1.8446744073709552e19, o.get("huge"));
        assertEquals(1.5e-3, o.get("f"));
        assertEquals(Boolean.TRUE, o.get("t"));
        assertTrue(o.containsKey("n"));
        assertNull(o.get("n"));
        assertEquals(List.of(1L, List.of(), Map.of()), o.get("a"));
        assertEquals(0L, o.get("z"));
    }

    @Test
    void writesWhatItParses() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("name", "tab\there \"quoted\" \u0001");
        value.put("list", Arrays.asList(1L, 2.5, null, true, "x"));
        value.put("nested", Map.of("k", List.of()));
        value.put("nan", Double.NaN);
        String compact = Json.write(value);
        assertEquals("{\"name\":\"tab\\there \\\"quoted\\\" \\u0001\",\"list\":[1,2.5,null,true,\"x\"],"
                + "\"nested\":{\"k\":[]},\"nan\":null}", compact);
        value.put("nan", null);
        assertEquals(value, Json.parse(compact));
        assertEquals(value, Json.parse(Json.writePretty(value)));
        assertTrue(Json.writePretty(value).contains("\n  \"list\": [\n    1,"));
    }

    @Test
    void rejectsMalformedInput() {
        for (String bad : List.of("", "{", "{\"a\" 1}", "{\"a\":1,}", "[1 2]", "[1,]", "01", "1.", "-", "1e",
                "\"unterminated", "\"bad \\x escape\"", "\"\\u12G4\"", "\"raw\ncontrol\"", "tru", "nul", "{} {}",
                "{\"a\":1,\"a\":2}", "{1:2}", "[".repeat(65) + "]".repeat(65))) {
            Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("invalid JSON at character "), e.getMessage());
        }
        Json.parse("[".repeat(64) + "]".repeat(64)); // the depth limit itself is fine
        assertThrows(Json.JsonException.class, () -> Json.parseObject("[]"));
    }
}
