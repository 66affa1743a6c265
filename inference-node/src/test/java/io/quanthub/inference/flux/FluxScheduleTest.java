package io.quanthub.inference.flux;

import io.quanthub.inference.TinyFlux;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FluxScheduleTest {
    @Test
    void shiftedScheduleIsTheAuthors() throws IOException {
        float[] expected = TinyFlux.sample().get("schedule").values();
        // flux-tiny: a 8x8 latent is 4x4 = 16 packed tokens; the model has guidance_in, so the schedule is shifted.
        assertArrayEquals(expected, FluxSchedule.timesteps(4, 16, true), 1e-6f);
        // config.json lists the same values.
        assertArrayEquals(new float[] {1f, 0.8260643482208252f, 0.6128659248352051f, 0.3454189598560333f, 0f},
                FluxSchedule.timesteps(4, 16, true), 1e-6f);
    }

    @Test
    void schnellIsNotShifted() {
        assertArrayEquals(new float[] {1f, 0.75f, 0.5f, 0.25f, 0f}, FluxSchedule.timesteps(4, 1024, false));
    }

    @Test
    void muIsTheLineThroughTheAuthorsPoints() {
        assertEquals(0.5, FluxSchedule.mu(256), 1e-12);
        assertEquals(1.15, FluxSchedule.mu(4096), 1e-12);
        // 512x512 with Flux's VAE: 32x32 packed tokens.
        assertEquals(0.5 + 0.65 * (1024 - 256) / 3840, FluxSchedule.mu(1024), 1e-12);
        // The shift pushes the middle of the schedule up (more time at high noise) by e^mu / (e^mu + 1) at t = 0.5.
        float[] t = FluxSchedule.timesteps(2, 4096, true);
        assertEquals(Math.exp(1.15) / (Math.exp(1.15) + 1), t[1], 1e-6);
    }
}
