// Runs once before the test suite: builds what tests load as plain JavaScript.
import { buildContracts } from "../node-red/scripts/build.mjs";

export default async function setup(): Promise<void> {
  // The Node-RED nodes require the wire contracts bundled as CommonJS.
  await buildContracts();
}
