/**
 * Wakes idle workers the moment a run is queued, so no worker polls tightly. In one process
 * this is a plain in-memory signal; across processes a database notification feeds it too.
 */
type Listener = () => void;

export class RunSignal {
  private readonly listeners = new Set<Listener>();

  notify(): void {
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
