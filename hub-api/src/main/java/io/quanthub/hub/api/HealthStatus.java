package io.quanthub.hub.api;

/** {@code GET /health} ({@code ok}) and {@code GET /ready} ({@code ready}). */
public record HealthStatus(String status) {}
