// An AbortController made only when someone asks for its signal. Every session had two
// controllers (the client left; the server stops), one AbortSignal.any over them, and an abort
// event dispatched at every close, though most exec sessions (`whoami`) never wait on anything
// the signal could cancel. Making them only when a command reads input or runs interruptible work
// took them out of the 100-session bench's CPU profile, where they were ~3% of gatehouse's (issue 18).
export class LazyAbort {
  private controller: AbortController | undefined;
  private aborted = false;
  private reason: unknown;

  /** Already aborted (with the reason given) when asked for after abort(). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Only the first call counts, as AbortController's. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
