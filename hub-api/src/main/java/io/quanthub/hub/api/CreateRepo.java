package io.quanthub.hub.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The body of {@code POST /api/repos}: {@code org/name}, and whether only its namespace's members see it. */
public record CreateRepo(String name, @JsonProperty("private") Boolean isPrivate) {}
