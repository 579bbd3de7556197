/**
 * At most one run of `fn` at a time; triggers that arrive during a run cause exactly one more run
 * after it. The drone's claim/acknowledge loop works this way: every trigger is honoured, none piles up.
 */
export class SingleFlight {
  private running = false;
  private again = false;

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly canStart: () => boolean = () => true,
  ) {}

  get busy(): boolean {
    return this.running;
  }

  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (!this.canStart()) return;
    this.running = true;
    void this.fn().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.trigger();
      }
    });
  }
}
