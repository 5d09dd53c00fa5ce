/** One audit event as logged: its fields (JSON values as they are, text values as strings). */
export type AuditFields = Readonly<Record<string, unknown>>;

const textField = / ([A-Za-z]+)=("(?:[^"\\]|\\.)*"|\S+)/g;

/**
 * The audit events in a process's output, in order, whichever log format it writes: JSON lines
 * with `"event":"audit"` (pino) or text lines `<time> audit key=value …`.
 *
 * @example auditEvents(server.output()).filter((event) => event.outcome === "refused")
 */
export function auditEvents(output: string): AuditFields[] {
  const events: AuditFields[] = [];
  for (const line of output.split("\n")) {
    if (line.startsWith("{")) {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.event === "audit") events.push(record);
      } catch {
        // Not a JSON line (a warning from Node, for instance): not an audit event.
      }
    } else if (/^\S+ audit /.test(line)) {
      const fields: Record<string, unknown> = { event: "audit" };
      for (const [, key, value] of line.matchAll(textField)) {
        if (key !== undefined && value !== undefined)
          fields[key] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
      }
      events.push(fields);
    }
  }
  return events;
}

/** The audit events whose fields include all of `fields` (compared as text: 403 matches "403"). */
export function findAuditEvents(output: string, fields: AuditFields): AuditFields[] {
  return auditEvents(output).filter((event) =>
    Object.entries(fields).every(([key, value]) => String(event[key]) === String(value)),
  );
}

/** Every non-empty line of a JSON-logging process's output, parsed; a line that is not JSON throws, naming it. */
export function readJsonLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}
