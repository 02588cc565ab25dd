/**
 * Entries keyed by a PTP port identity within a domain (clock identity,
 * domain, port number): PTP clocks, and the streams of a port. A map by
 * clock identity (an interned string from the decoder) of its few (domain,
 * port) entries; messages come in runs from one port, so the last entry
 * found is checked first.
 */
export interface PortKeyed {
  readonly clockId: string;
  readonly domain: number;
  readonly port: number;
}

export class PortIdentityMap<T extends PortKeyed> {
  private readonly byClock = new Map<string, T[]>();
  private last: T | null = null;

  get(clockId: string, domain: number, port: number): T | null {
    const last = this.last;
    if (last !== null && last.clockId === clockId && last.domain === domain && last.port === port) return last;
    const list = this.byClock.get(clockId);
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (e.domain === domain && e.port === port) return (this.last = e);
    }
    return null;
  }

  /** Add an entry whose identity is not in the map yet. */
  add(e: T): void {
    const list = this.byClock.get(e.clockId);
    if (list === undefined) this.byClock.set(e.clockId, [e]);
    else list.push(e);
    this.last = e;
  }

  delete(e: T): void {
    const list = this.byClock.get(e.clockId);
    const i = list === undefined ? -1 : list.indexOf(e);
    if (i < 0) return;
    list!.splice(i, 1);
    if (list!.length === 0) this.byClock.delete(e.clockId);
    if (this.last === e) this.last = null;
  }

  /** Every entry, by clock identity in the order first added, then in the order added. */
  *values(): IterableIterator<T> {
    for (const list of this.byClock.values()) yield* list;
  }
}
