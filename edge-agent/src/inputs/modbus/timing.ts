/**
 * RTU character timing (Modbus over Serial Line V1.02 §2.5.1.1): a character is 11 bits
 * (start, 8 data, parity or a second stop bit, stop). Frames are separated by at least 3.5
 * character times; above 19200 baud fixed values are used: 1.75 ms between frames.
 */
export function charTimeMs(baudRate: number): number {
  return (11 * 1000) / baudRate;
}

/** Minimum silence between the end of one frame and the start of the next. */
export function interFrameMs(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : 3.5 * charTimeMs(baudRate);
}

/** Time to transmit `bytes` on the line. */
export function transmitMs(baudRate: number, bytes: number): number {
  return bytes * charTimeMs(baudRate);
}

/**
 * Waits at least `ms` by the monotonic clock. A bare setTimeout can fire up to ~1 ms early
 * (libuv measures from the loop's cached time and rounds), which would break t3.5.
 */
export async function sleepAtLeast(
  ms: number,
  now: () => number = () => performance.now(),
): Promise<void> {
  const until = now() + ms;
  for (let left = ms; left > 0; left = until - now()) {
    await new Promise((r) => setTimeout(r, Math.ceil(left)));
  }
}
