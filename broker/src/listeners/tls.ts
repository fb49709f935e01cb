/** MQTT over TLS (mqtts), optionally asking for client certificates signed by the configured CA. */
import { readFile } from "node:fs/promises";
import { createServer } from "node:tls";
import { listen, type ConnectionHandler, type Listener } from "./listener.ts";

export interface TlsOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
  ca?: string;
  clientCertificates: "none" | "optional" | "required";
}

export async function startTls(opts: TlsOptions, handle: ConnectionHandler): Promise<Listener> {
  const [cert, key, ca] = await Promise.all([
    readFile(opts.cert),
    readFile(opts.key),
    opts.ca ? readFile(opts.ca) : Promise.resolve(undefined),
  ]);
  if (opts.clientCertificates !== "none" && !ca) throw new Error("mqtts: clientCertificates needs ca");
  const server = createServer(
    {
      cert,
      key,
      ...(ca ? { ca } : {}),
      requestCert: opts.clientCertificates !== "none",
      rejectUnauthorized: opts.clientCertificates === "required",
      minVersion: "TLSv1.2",
    },
    (socket) => {
      socket.setNoDelay(true);
      handle(socket);
    },
  );
  // Count the TLS listener's sockets (secureConnection fires after the handshake).
  const l = await listen("mqtts", server, opts.host, opts.port);
  return l;
}
