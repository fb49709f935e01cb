import { startAedes as startAedesServer } from "@fieldline/test-support";

/** A plain Aedes broker on a random loopback port. */
export async function startAedes(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const b = await startAedesServer();
  return { url: b.url, port: b.port, stop: () => b.close() };
}
