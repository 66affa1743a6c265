/**
 * The hub's HTTP API as data: one record per request and response body (docs/hub-api.md), which the hub's routes
 * write and clients (the CLI's {@code HubClient}) read, both in the one JSON form of {@link
 * io.quanthub.hub.api.ApiJson}. A field added here is a field on both sides. Nothing here knows HTTP or Vert.x.
 */
package io.quanthub.hub.api;
