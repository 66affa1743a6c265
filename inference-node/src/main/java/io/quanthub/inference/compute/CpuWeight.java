package io.quanthub.inference.compute;

/** The CPU backend's weight: the stored tensor itself, read where it is mapped. */
record CpuWeight(Weight source) implements BackendWeight {
}
