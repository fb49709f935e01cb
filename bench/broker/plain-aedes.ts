/** Plain Aedes 1.2.0 as a new user would run it: defaults, no hooks. Prints {"port"} when listening. */
import { createServer } from "node:net";
import { Aedes } from "aedes";

const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + "\n");
});
process.once("SIGTERM", () => {
  server.close();
  aedes.close(() => process.exit(0));
});
