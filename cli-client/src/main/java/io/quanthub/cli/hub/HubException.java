package io.quanthub.cli.hub;

import io.quanthub.hub.api.ApiError;
import io.quanthub.hub.api.ApiJson;

import java.io.IOException;

/** The hub answered with an error status; the message is the hub's own {@code error} text and the status. */
public final class HubException extends IOException {
    private final int status;

    public HubException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /**
     * The exception for an error response: the JSON {@code {"error": "..."}} body's message when there is one,
     * else the status and {@code what} was asked (e.g. "GET /api/models").
     */
    public static HubException of(int status, String body, String what) {
        String error = null;
        if (body != null && body.startsWith("{")) {
            try {
                error = ApiJson.read(body, ApiError.class, what).error();
            } catch (IOException notJson) {
                // Not the hub's error shape (a proxy's page, say): fall back to the status.
            }
        }
        return new HubException(status, error != null && !error.isBlank()
                ? error + " (HTTP " + status + ")"
                : "hub answered HTTP " + status + " to " + what);
    }
}
