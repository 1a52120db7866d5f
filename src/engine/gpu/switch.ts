// One switch for the engine's own WebGPU kernels (the fused optimizer today), so that the bench and the
// tests can run the same code with tfjs's plain ops for a before/after comparison. On by default.
let enabled = true;

/** Whether the fused WebGPU kernels are used when the webgpu backend is active. */
export function fusedKernelsEnabled(): boolean {
  return enabled;
}

/** Turns the fused WebGPU kernels on or off (for comparisons); returns the previous setting. */
export function setFusedKernels(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}
