/** Fixed-capacity ring buffer of numbers; index 0 is the newest value. */
export interface RingState {
  cap: number;
  data: number[];
}

export class Ring {
  private readonly buf: Float64Array;
  private head = 0;
  private n = 0;

  constructor(readonly cap: number) {
    this.buf = new Float64Array(cap);
  }

  get size(): number {
    return this.n;
  }

  push(v: number): void {
    this.head = (this.head + 1) % this.cap;
    this.buf[this.head] = v;
    if (this.n < this.cap) this.n++;
  }

  /** The value `age` pushes ago (0 = newest); `age` must be < size. */
  at(age: number): number {
    let k = this.head - age;
    if (k < 0) k += this.cap;
    return this.buf[k]!;
  }

  /** Sum of the values from the newest to the oldest, added in that order. */
  sum(): number {
    const buf = this.buf;
    let sum = 0;
    let k = this.head;
    for (let i = 0; i < this.n; i++) {
      sum += buf[k]!;
      k = k === 0 ? this.cap - 1 : k - 1;
    }
    return sum;
  }

  /** Buffer position of the value `age` pushes ago, for tight loops (see `buffer`). */
  slot(age: number): number {
    const k = this.head - age;
    return k < 0 ? k + this.cap : k;
  }

  /** The backing store; read it only at positions given by `slot`. */
  get buffer(): Float64Array {
    return this.buf;
  }

  /** Oldest first. */
  toArray(): number[] {
    const out: number[] = [];
    for (let a = this.n - 1; a >= 0; a--) out.push(this.at(a));
    return out;
  }

  snapshot(): RingState {
    return { cap: this.cap, data: this.toArray() };
  }

  static restore(s: RingState): Ring {
    const r = new Ring(s.cap);
    for (const v of s.data) r.push(v);
    return r;
  }
}
