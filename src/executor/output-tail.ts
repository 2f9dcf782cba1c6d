// Keeps only the end of a stream: agents can print megabytes, results carry a few KiB.

export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private total = 0;

  constructor(private readonly limitBytes = 8192) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.total += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.limitBytes) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  /** Bytes seen in all, including those no longer kept. */
  get totalBytes(): number {
    return this.total;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const kept = all.length > this.limitBytes ? all.subarray(all.length - this.limitBytes) : all;
    return kept.toString('utf8');
  }
}

const EXIT_REASON_PREFIX = 'ocf-exit-reason:';

/**
 * The agent's own explanation of its exit code: ocf_exit_reason prints `ocf-exit-reason:TEXT` on
 * stderr; the last one wins, as in Pacemaker.
 */
export function parseExitReason(stderr: string): string | undefined {
  let reason: string | undefined;
  for (const line of stderr.split('\n')) {
    const at = line.indexOf(EXIT_REASON_PREFIX);
    if (at >= 0) reason = line.slice(at + EXIT_REASON_PREFIX.length).trim();
  }
  return reason || undefined;
}
