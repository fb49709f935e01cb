/** What the runner tracks per simulated device: boot, sequence, connectivity, outbox, clock. */
import type { Reading } from "@fieldline/firmware-contracts";
import { Prng } from "../random";
import type { ReadingRecord } from "../truth/records";
import type { OutboundBatch } from "../transports/transport";
import type { SimDevice } from "./fleet";

export interface Pending {
  reading: Reading;
  record: ReadingRecord;
}

export class DeviceState {
  boot = "";
  bootTime = 0;
  boots = 0;
  seq = 0;
  online = true;
  /** Disconnect windows currently open (they may overlap). */
  offlineDepth = 0;
  /** Rebooted while offline: the new boot is announced on reconnect. */
  bootPending = false;
  /** Readings taken while offline are kept (outbox) rather than lost. */
  buffering = true;
  /** Event time until which the device is restarting and takes no samples. */
  downUntil = -Infinity;
  skew = 0;
  pending: Pending[] = [];
  /** Sealed batches (boot and seq fixed) waiting to be sent: the device's outbox. */
  outbox: OutboundBatch[] = [];
  /** Event time of the oldest pending reading. */
  firstPendingT = 0;

  constructor(
    readonly device: SimDevice,
    private readonly seed: number,
  ) {}

  /** A fresh boot id from the seed: same run, same ids. */
  reboot(t: number): string {
    this.boot = Prng.derive(this.seed, "boot", this.device.id, this.boots++).hex(16);
    this.bootTime = t;
    this.seq = 0;
    return this.boot;
  }
}
