// Contracts at the controller's edges: the Fencer the DC calls for fence actions, and the options
// of a controller.

/** What fencing a node did. */
export interface FenceResult {
  /** True when the target is known to be stopped (off or rebooted) by this call. */
  ok: boolean;
  /**
   * 'agent': a fence device acted (ok tells whether it confirmed);
   * 'self-fence-deadline': the fencer knows the node has passed its self-fencing deadline;
   * 'none': no device can fence this node — the DC waits for the node's self-fencing deadline.
   */
  method: 'agent' | 'self-fence-deadline' | 'none';
  /** The device that acted (for 'agent'). */
  device?: string;
  /** Why it failed, when ok is false. */
  error?: string;
}

/** Fences nodes on the DC's behalf (implemented in src/fencer/). */
export interface Fencer {
  /**
   * Fence `target` with `action` (reboot, off, on). `reason` says why (logged and recorded). Never
   * rejects: problems come back as `{ ok: false, error }`. `{ ok: false, method: 'none' }` means no
   * device is configured for the node: the DC then waits for the node's self-fencing deadline.
   */
  fence(target: string, action: string, reason: string): Promise<FenceResult>;
}

/** A Fencer for clusters without fence devices: every node waits for its self-fencing deadline. */
export const noDeviceFencer: Fencer = {
  async fence() {
    return { ok: false, method: 'none', error: 'no fence device is configured' };
  },
};

/** Tunables of the DC loop. Defaults in `DEFAULT_CONTROLLER_TIMING`. */
export interface ControllerTiming {
  /** Changes arriving within this window are planned for together. */
  debounceMs: number;
  /** Extra time after an operation's timeout before the DC records it as timed out itself. */
  resultGraceMs: number;
  /** First and last delay between failed transitions (doubles in between). */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Longest a new DC waits for the previous DC's in-flight actions before taking over. */
  inheritWaitMaxMs: number;
  /** Fence attempts per node before the DC gives up until something changes. */
  stonithMaxAttempts: number;
}

export const DEFAULT_CONTROLLER_TIMING: ControllerTiming = {
  debounceMs: 10,
  resultGraceMs: 2_000,
  backoffMinMs: 25,
  backoffMaxMs: 2_000,
  inheritWaitMaxMs: 30_000,
  stonithMaxAttempts: 10,
};
