/** A throwaway CA, server and client certificates made with openssl at test time. */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  client(cn: string): Promise<{ cert: string; key: string }>;
}

export async function makePki(dir: string): Promise<TestPki> {
  const p = (f: string) => join(dir, f);
  const ossl = (...args: string[]) => run("openssl", args);
  await ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
    "-subj", "/CN=Fieldline test CA", "-keyout", p("ca.key"), "-out", p("ca.pem"));
  await writeFile(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  async function issue(name: string, cn: string, ext?: string) {
    await ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${cn}`,
      "-keyout", p(`${name}.key`), "-out", p(`${name}.csr`));
    await ossl("x509", "-req", "-in", p(`${name}.csr`), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial",
      "-days", "1", "-out", p(`${name}.pem`), ...(ext ? ["-extfile", ext] : []));
    return { cert: p(`${name}.pem`), key: p(`${name}.key`) };
  }
  const server = await issue("server", "localhost", p("server.ext"));
  return {
    ca: p("ca.pem"),
    serverCert: server.cert,
    serverKey: server.key,
    client: (cn) => issue(`client-${cn}`, cn),
  };
}
