// Bundles: containers (docker/podman/rkt) with optional IP, remote connection and inner resource.
import type { WorkingSet } from '../types.ts';

export function unpackBundles(_ws: WorkingSet): void {
  // Bundle replicas are built in a later step of this module's development.
}
