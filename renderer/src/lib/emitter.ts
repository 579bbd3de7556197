/** A tiny typed event emitter: one listener throwing must not starve the others. */
export class Emitter<T extends object> {
  private readonly listeners = new Map<keyof T, Set<(data: never) => void>>();

  on<K extends keyof T>(name: K, fn: (data: T[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn as (data: never) => void);
    return () => {
      set.delete(fn as (data: never) => void);
    };
  }

  emit<K extends keyof T>(name: K, data: T[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (d: T[K]) => void)(data);
      } catch (err) {
        console.error(`listener for ${String(name)} failed`, err);
      }
    }
  }
}
