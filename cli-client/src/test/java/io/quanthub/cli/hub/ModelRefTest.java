package io.quanthub.cli.hub;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Model references, repository paths and the default config location. */
class ModelRefTest {
    @Test
    void parsesEveryForm() {
        assertEquals(new ModelRef("org", "flux.1-Dev", null, null), ModelRef.parse("org/flux.1-Dev"));
        assertEquals(new ModelRef("org", "m", "v2", null), ModelRef.parse("org/m@v2"));
        assertEquals(new ModelRef("org", "m", null, "Q4_K_M"), ModelRef.parse("org/m:q4_k_m"));
        ModelRef full = ModelRef.parse("org/m@dev:Q8_0");
        assertEquals(new ModelRef("org", "m", "dev", "Q8_0"), full);
        assertEquals("org/m", full.repo());
        assertEquals("org/m@dev:Q8_0", full.toString());
        assertEquals("main", ModelRef.parse("org/m").revisionOrDefault());
    }

    @Test
    void acceptsHuggingFaceStyleNames() {
        ModelRef ref = ModelRef.parse("black-forest-labs/FLUX.1-dev@main:q4_k_m");
        assertEquals("black-forest-labs/FLUX.1-dev", ref.repo());
        assertEquals("Q4_K_M", ref.quant());
    }

    @Test
    void rejectsBadReferencesWithTheReason() {
        assertEquals("model 'flux' is not of the form org/name[@revision][:QUANT]",
                assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("flux")).getMessage());
        assertEquals("model 'a/b/c' is not of the form org/name[@revision][:QUANT]",
                assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("a/b/c")).getMessage());
        assertEquals("repository 'org/-x': name must start with [a-zA-Z0-9] and use only [a-zA-Z0-9._-]",
                assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("org/-x")).getMessage());
        assertEquals("model 'org/m@': ref name is empty",
                assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("org/m@")).getMessage());
        assertEquals("model 'org/m:Q4-K': quant type 'Q4-K' must match [A-Za-z0-9][A-Za-z0-9_]{0,31}",
                assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("org/m:Q4-K")).getMessage());
        assertEquals("repository 'org/m@v1' must be just org/name",
                assertThrows(IllegalArgumentException.class, () -> ModelRef.parseRepo("org/m@v1")).getMessage());
    }

    @Test
    void repositoryPathsCannotLeaveTheirDirectory() {
        Path dir = Path.of("/cache/snap");
        assertEquals(Path.of("/cache/snap/a/b.gguf"), RepoPaths.resolve(dir, "a/b.gguf"));
        for (String bad : new String[]{"", "/etc/passwd", "a/../../x", "..", "a//b", "a/./b", "a\\b", "a/"}) {
            assertThrows(IllegalArgumentException.class, () -> RepoPaths.resolve(dir, bad), bad);
        }
    }

    @Test
    void configFileFollowsXdgConfigHome() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/home/u/.config/quanthub/config.json"), SavedLogin.defaultPath(Map.of(), home));
        assertEquals(Path.of("/x/quanthub/config.json"),
                SavedLogin.defaultPath(Map.of("XDG_CONFIG_HOME", "/x"), home));
    }

    @Test
    void digestsAcceptBothSpellings() {
        String hex = "ab".repeat(32);
        assertEquals(hex, Sha256.parse("sha256:" + hex, "d"));
        assertEquals(hex, Sha256.parse(hex, "d"));
        assertThrows(IllegalArgumentException.class, () -> Sha256.parse("sha256:" + hex.toUpperCase(), "d"));
        assertThrows(IllegalArgumentException.class, () -> Sha256.parse("md5:abc", "d"));
    }
}
