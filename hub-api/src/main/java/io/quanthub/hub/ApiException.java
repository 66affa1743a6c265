package io.quanthub.hub;

/**
 * A request the hub refuses, with the HTTP status and the one-line message the client gets as
 * {@code {"error": message}}.
 */
final class ApiException extends RuntimeException {
    private final int status;
    private final String errorCode;

    ApiException(int status, String message) {
        this(status, message, null);
    }

    private ApiException(int status, String message, String errorCode) {
        super(message, null, false, false);
        this.status = status;
        this.errorCode = errorCode;
    }

    int status() {
        return status;
    }

    /**
     * The Hugging Face Hub's name for the failure, sent as {@code X-Error-Code} (clients such as huggingface_hub
     * and huggingface.js tell a missing repository, revision or file apart by it), or null.
     */
    String errorCode() {
        return errorCode;
    }

    /** This failure with the Hub's error code ({@code RepoNotFound}, {@code RevisionNotFound}, {@code EntryNotFound}). */
    ApiException withErrorCode(String code) {
        return new ApiException(status, getMessage(), code);
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, message);
    }
}
