/**
 * Warnings said once per subject (a peer node and what it did), so that a peer sending the same
 * bad thing every tick fills no log. Bounded: subjects come from the network, so past `max`
 * distinct ones it says so once and goes quiet until `forget` makes room.
 */
export class WarnOnce {
  private readonly said = new Set<string>();
  private full = false;

  constructor(
    private readonly log: (msg: string) => void,
    private readonly max = 64,
  ) {}

  /** Logs `msg` unless a warning about `subject` was already given. */
  warn(subject: string, msg: string): void {
    if (this.said.has(subject)) return;
    if (this.said.size >= this.max) {
      if (!this.full) this.log(`more than ${this.max} peers misbehaving: further warnings suppressed`);
      this.full = true;
      return;
    }
    this.said.add(subject);
    this.log(msg);
  }

  /** Forgets the warnings about subjects starting with `prefix` (a peer that went down). */
  forget(prefix: string): void {
    for (const s of this.said) if (s.startsWith(prefix)) this.said.delete(s);
    this.full = false;
  }
}
