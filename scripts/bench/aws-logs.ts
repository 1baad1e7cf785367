/**
 * What CloudWatch Logs would ingest for the benchmark's traffic: the functions' own lines
 * (captured from the local runner, as written), Lambda's START/END/REPORT lines and API
 * Gateway access-log lines (rendered, since neither the runner nor the local gateway writes
 * them), and the custom metrics the functions publish through EMF.
 */

/**
 * CloudWatch Logs sizes an event as its UTF-8 message plus 26 bytes (PutLogEvents API
 * reference); the benchmark prices ingestion on that size.
 */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/** Events and their UTF-8 message bytes (without the per-event overhead). */
export interface LogVolume {
  events: number;
  bytes: number;
}

export const emptyLogVolume = (): LogVolume => ({ events: 0, bytes: 0 });

/** The size CloudWatch Logs ingests for a volume: messages plus the per-event overhead. */
export function ingestedBytes(volume: LogVolume): number {
  return volume.bytes + volume.events * LOG_EVENT_OVERHEAD_BYTES;
}

export function addVolume(into: LogVolume, volume: LogVolume, factor = 1): void {
  into.events += volume.events * factor;
  into.bytes += volume.bytes * factor;
}

/**
 * On Lambda with active tracing, `_X_AMZN_TRACE_ID` is set for every invocation and Powertools
 * Logger adds `"xray_trace_id":"1-…"` to each line; the local runner sets no trace id, so the
 * captured lines lack the field. This many bytes are added per Powertools line to match.
 */
export const XRAY_TRACE_ID_FIELD_BYTES = ',"xray_trace_id":"1-6742a5b1-0123456789abcdef01234567"'.length;

/** The bytes one captured line makes on Lambda: itself, plus the trace-id field Powertools would add there. */
export function lambdaLineBytes(line: string): number {
  const bytes = Buffer.byteLength(line, 'utf8');
  if (!line.startsWith('{') || line.includes('"xray_trace_id"')) return bytes;
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    const powertoolsLogger = 'level' in parsed && 'message' in parsed && 'timestamp' in parsed && 'service' in parsed;
    return powertoolsLogger ? bytes + XRAY_TRACE_ID_FIELD_BYTES : bytes;
  } catch {
    return bytes;
  }
}

/** Lambda's request ids are UUIDs: 36 characters. */
const REQUEST_ID = '6bc28136-4365-4b02-9c1e-0ce6b2e64ab0';

/** The REPORT line's "Max Memory Used" is not measured here; three digits are assumed (100–999 MB). */
export const ASSUMED_MAX_MEMORY_USED_MB = 128;

/**
 * The text-format lines Lambda itself writes to the function's log group for one invocation
 * (START, END and REPORT; three events), for its measured duration. The REPORT event of a
 * traced invocation ends with {@link XRAY_REPORT_SUFFIX}.
 */
export function lambdaPlatformEvents(durationMs: number, memoryMb: number): string[] {
  return [
    `START RequestId: ${REQUEST_ID} Version: $LATEST`,
    `END RequestId: ${REQUEST_ID}`,
    `REPORT RequestId: ${REQUEST_ID}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(durationMs))} ms\t` +
      `Memory Size: ${memoryMb} MB\tMax Memory Used: ${ASSUMED_MAX_MEMORY_USED_MB} MB\t`,
  ];
}

/** Appended to the REPORT event of an invocation X-Ray sampled. */
export const XRAY_REPORT_SUFFIX = '\nXRAY TraceId: 1-6742a5b1-0123456789abcdef01234567\tSegmentId: 0123456789abcdef\tSampled: true\t';

export function lambdaPlatformVolume(durationMs: number, memoryMb: number): LogVolume {
  const events = lambdaPlatformEvents(durationMs, memoryMb);
  return { events: events.length, bytes: events.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8'), 0) };
}

/** One kind of API request the benchmark made, with how many of them (per charge or per read). */
export interface ApiRequestGroup {
  method: string;
  /** The API resource (`/v1/charges/{id}`), as `$context.resourcePath` gives it. */
  resourcePath: string;
  status: number;
  /** Response body bytes (`$context.responseLength`). */
  responseBytes: number;
  count: number;
}

/**
 * Values for the `$context` variables of an access-log line that the benchmark cannot observe
 * locally. The client address is the longest IPv4 text (the local runner's is 127.0.0.1), the
 * time is in API Gateway's CLF form, and a caller/user that IAM did not authenticate is `-`.
 */
const ACCESS_LOG_PLACEHOLDERS: Record<string, string> = {
  '$context.requestId': REQUEST_ID,
  '$context.extendedRequestId': 'CtTGhFoyoAMFXmA=',
  '$context.identity.sourceIp': '255.255.255.255',
  '$context.identity.user': '-',
  '$context.identity.caller': '-',
  '$context.requestTime': '23/Nov/2026:20:45:35 +0000',
  '$context.protocol': 'HTTP/1.1',
};

/**
 * One access-log line in the stage's format (`AccessLogSetting.Format` of the synthesized
 * template), for a request of this method, resource, status and response length. Variables
 * API Gateway would leave empty are rendered as `-`, as API Gateway does.
 */
export function renderAccessLogLine(format: string, request: Omit<ApiRequestGroup, 'count'>): string {
  const known: Record<string, string> = {
    ...ACCESS_LOG_PLACEHOLDERS,
    '$context.httpMethod': request.method,
    '$context.resourcePath': request.resourcePath,
    '$context.routeKey': `${request.method} ${request.resourcePath}`,
    '$context.status': String(request.status),
    '$context.responseLength': String(request.responseBytes),
  };
  return format.replace(/\$context\.[A-Za-z.]+[A-Za-z]/g, (variable) => known[variable] ?? '-');
}

export function accessLogVolume(format: string, requests: ApiRequestGroup[]): LogVolume {
  const volume = emptyLogVolume();
  for (const request of requests) {
    volume.events += request.count;
    volume.bytes += request.count * Buffer.byteLength(renderAccessLogLine(format, request), 'utf8');
  }
  return volume;
}

/**
 * The custom metrics an EMF line defines: one per namespace, metric name and dimension values
 * (what CloudWatch bills as one custom metric). Not an EMF line → none.
 */
export function emfMetrics(line: string): string[] {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return [];
  try {
    const document = JSON.parse(line) as Record<string, unknown> & {
      _aws?: { CloudWatchMetrics?: Array<{ Namespace?: string; Dimensions?: string[][]; Metrics?: Array<{ Name?: string }> }> };
    };
    const metrics: string[] = [];
    for (const directive of document._aws?.CloudWatchMetrics ?? []) {
      const dimensionSets = directive.Dimensions?.length ? directive.Dimensions : [[]];
      for (const metric of directive.Metrics ?? []) {
        for (const dimensions of dimensionSets) {
          const values = dimensions.map((name) => `${name}=${String(document[name])}`).join(',');
          metrics.push(`${directive.Namespace ?? ''}/${metric.Name ?? ''}{${values}}`);
        }
      }
    }
    return metrics;
  } catch {
    return [];
  }
}

/** `ServiceWorkerFunction1234` → `Worker`: a function's name in the reports. */
export const shortFunctionName = (logicalId: string) => logicalId.replace(/^Service/, '').replace(/Function.*$/, '');
