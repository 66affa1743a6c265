package io.quanthub.cluster;

/** The reason a job records when it fails: the exception's message on one line, as clients print it. */
public final class FailureReason {
    private FailureReason() {
    }

    public static String of(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        return message.replaceAll("\\s*\\R\\s*", " ");
    }
}
