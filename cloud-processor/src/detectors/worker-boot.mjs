// Worker entry: the project runs TypeScript from source through tsx, which a worker thread
// does not inherit, so register it here before loading the thread's module.
import { register } from "tsx/esm/api";

register();
await import("./worker-thread.ts");
