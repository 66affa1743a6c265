package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void acceptsOrdinaryRepositoryNames() {
        for (String ok : List.of("city96/flux.1-dev-gguf", "black-forest-labs/FLUX.1-dev", "Owner/Name", "a/b", "0rg/m_1.0",
                "o".repeat(Names.MAX_OWNER_LENGTH) + "/" + "n".repeat(Names.MAX_REPO_LENGTH))) {
            assertEquals(ok, RepoName.parse(ok).toString());
        }
    }

    @Test
    void rejectsRepositoryNameTricks() {
        for (String bad : List.of("", "noslash", "/name", "owner/", "a/b/c", "../etc", "owner/..", "owner/a..b",
                "-owner/name", "owner/.hidden", "owner/_x", "own er/name", "owner/na me",
                "owner/name\n", "owner/na\\me", "owner/name%2F..", "owner/näme", "owner//name",
                "o".repeat(Names.MAX_OWNER_LENGTH + 1) + "/n", "o/" + "n".repeat(Names.MAX_REPO_LENGTH + 1))) {
            var e = assertThrows(IllegalArgumentException.class, () -> RepoName.parse(bad), bad);
            assertOneLine(e);
        }
        assertThrows(IllegalArgumentException.class, () -> new RepoName("owner", null));
    }

    @Test
    void acceptsOrdinaryFilePaths() {
        for (String ok : List.of("model.gguf", "transformer/diffusion_pytorch_model-00001-of-00003.safetensors",
                "text_encoder_2/config.json", ".gitattributes", "a/.b/c", "unicode é ü/模型.gguf", "a..b/c...d",
                "x".repeat(Names.MAX_SEGMENT_BYTES))) {
            assertEquals(ok, Names.requireFilePath(ok));
        }
    }

    @Test
    void rejectsFilePathTricks() {
        for (String bad : List.of("", "/etc/passwd", "../x", "a/../b", "a/..", "..", ".", "./a", "a/./b", "a//b", "a/",
                "a\\b", "..\\x", "C:/x", "C:x", "file.gguf:stream", "a\u0000b", "a\nb", "a\u007fb",
                "x".repeat(Names.MAX_SEGMENT_BYTES + 1), ("abcdefgh/").repeat(114) + "x",
                "é".repeat(Names.MAX_SEGMENT_BYTES / 2 + 1))) {
            var e = assertThrows(IllegalArgumentException.class, () -> Names.requireFilePath(bad), bad);
            assertOneLine(e);
        }
        assertThrows(IllegalArgumentException.class, () -> Names.requireFilePath(null));
    }

    @Test
    void refusesControlBidiAndFormatCharactersNamingTheCodePoint() {
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("model\u202Efdp.gguf", "U+202E RIGHT-TO-LEFT OVERRIDE");
        refused.put("a\u2028b", "U+2028 LINE SEPARATOR");
        refused.put("a\u2029b", "U+2029 PARAGRAPH SEPARATOR");
        refused.put("a\u0085b", "U+0085"); // C1: NEXT LINE
        refused.put("a\u009bb", "U+009B");
        refused.put("a\u001bb", "U+001B");
        refused.put("a\u202Ab", "U+202A");
        refused.put("a\u202Db", "U+202D");
        refused.put("a\u2066b", "U+2066");
        refused.put("a\u2069b", "U+2069");
        refused.put("a\u200Eb", "U+200E");
        refused.put("a\u200Fb", "U+200F");
        refused.put("a\u061Cb", "U+061C");
        refused.put("a\u200Bb", "U+200B ZERO WIDTH SPACE");
        refused.put("a\uFEFFb", "U+FEFF");
        refused.put("dir/x\uDB40\uDC01.gguf", "U+E0001 LANGUAGE TAG");
        refused.put("a\uD800b", "U+D800"); // an unpaired surrogate
        refused.forEach((bad, named) -> {
            var e = assertThrows(IllegalArgumentException.class, () -> Names.requireFilePath(bad), bad);
            assertTrue(e.getMessage().contains(named), e.getMessage());
            assertOneLine(e);
            // The message escapes the character instead of letting it reorder or split the line.
            assertFalse(e.getMessage().chars().anyMatch(Names::isInvisible), e.getMessage());
        });
        // Letters of every script stay allowed, right-to-left ones too.
        for (String ok : List.of("نموذج/model.gguf", "מודל.gguf", "模型/ü.safetensors")) {
            assertEquals(ok, Names.requireFilePath(ok));
        }
    }

    @Test
    void refNamesAreOneSegmentAndNeverACommitId() {
        for (String ok : List.of("main", "v1.0", "Q4_K_M", "release-2026.11", "a")) {
            assertEquals(ok, Names.requireRefName(ok));
        }
        for (String bad : List.of("", "feature/x", "..", "a..b", "-x", ".x", "_x", "a b", "a\tb", "x".repeat(101),
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")) {
            assertOneLine(assertThrows(IllegalArgumentException.class, () -> Names.requireRefName(bad), bad));
        }
        assertTrue(Names.isCommitId("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        assertFalse(Names.isCommitId("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
    }

    @Test
    void quantTypesAndConverterVersions() {
        for (String ok : List.of("Q4_K_M", "IQ4_XS", "BF16", "F16", "q8_0")) {
            assertEquals(ok, Names.requireQuantType(ok));
        }
        for (String bad : List.of("", "Q4 K", "../Q4", "Q4/K", "_Q4", "Q".repeat(33))) {
            assertOneLine(assertThrows(IllegalArgumentException.class, () -> Names.requireQuantType(bad), bad));
        }
        for (String ok : List.of("0.1.0", "2026.11+ggml-b3962", "v2")) {
            assertEquals(ok, Names.requireConverterVersion(ok));
        }
        for (String bad : List.of("", "1/2", "..", "1..2", ".1", "a b")) {
            assertOneLine(assertThrows(IllegalArgumentException.class, () -> Names.requireConverterVersion(bad), bad));
        }
    }

    @Test
    void digestsAreStrict() {
        Digest d = Digest.of(new byte[0]);
        assertEquals(d, Digest.parse(d.toString()));
        for (String bad : List.of("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256:abc",
                "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "md5:x")) {
            assertOneLine(assertThrows(IllegalArgumentException.class, () -> Digest.parse(bad), bad));
        }
    }

    private static void assertOneLine(IllegalArgumentException e) {
        assertFalse(e.getMessage().contains("\n"), "one-line message: " + e.getMessage());
    }
}
