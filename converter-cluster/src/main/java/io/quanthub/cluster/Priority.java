package io.quanthub.cluster;

/**
 * Who is waiting for a conversion. Workers take every queued {@link #USER} task before any {@link #PREFETCH} task;
 * a job asked for as prefetch and later by a user is promoted (its remaining tasks go to the user queue).
 */
public enum Priority {
    /** Someone asked for this variant and waits for it. */
    USER,
    /** Background work that makes a variant ready before anyone asks (popular models, new pushes). */
    PREFETCH
}
