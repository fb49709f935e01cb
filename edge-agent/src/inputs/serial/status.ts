/** Port status changes as device events, the same for every serial input. */
import type { SourceSink } from "../source";
import type { PortStatus } from "./port";

export function reportPortStatus(
  sink: SourceSink,
  input: string,
  path: string,
  s: PortStatus,
): void {
  const data = { input, path };
  switch (s.kind) {
    case "open":
      if (s.recovered) {
        const message = `${path} ${s.reopened ? "reopened" : "opened"}`;
        sink.event({ type: "input-restored", severity: "info", message, data });
      }
      return;
    case "lost":
      sink.event({
        type: "input-lost",
        severity: "warning",
        message: `${path} lost: ${s.error}`,
        data,
      });
      return;
    case "open-failed":
      sink.event({
        type: "input-unavailable",
        severity: "warning",
        message: `${path} cannot be opened: ${s.error}; retrying`,
        data: { ...data, retryInMs: s.retryInMs },
      });
  }
}
