package io.quanthub.inference.flux;

import io.quanthub.inference.TinyFlux;
import io.quanthub.inference.model.FloatTensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LatentPackingTest {
    @Test
    void packsLikeTheAuthors() throws IOException {
        Map<String, FloatTensor> sample = TinyFlux.sample();
        float[] unpacked = sample.get("latent_unpacked").values();
        float[] packed = sample.get("latent").values();
        assertArrayEquals(packed, LatentPacking.pack(unpacked, 16, 8, 8));
        assertArrayEquals(unpacked, LatentPacking.unpack(packed, 16, 8, 8));
    }

    @Test
    void featureOrderIsChannelThenPatchRowThenPatchColumn() {
        // 1 channel, 2x4 latent: two tokens of 4 features each.
        float[] latent = {0, 1, 2, 3, 4, 5, 6, 7};
        assertArrayEquals(new float[] {0, 1, 4, 5, 2, 3, 6, 7}, LatentPacking.pack(latent, 1, 2, 4));
    }

    @Test
    void imageIdsAreRowAndColumnOfThePackedGrid() {
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 1, 2},
                LatentPacking.imageIds(4, 6));
    }

    @Test
    void oddSidesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LatentPacking.pack(new float[6], 1, 2, 3));
    }
}
